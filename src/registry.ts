// The model classes' registry: native handles by model (for NeuMF.fromPretrained) and the
// makers NcfModel.load builds each kind with. The classes register themselves (models.ts), so
// model.ts never imports them; this module imports neither.
import type { Native } from './native.js'
import type { Device, ModelKind } from './types.js'

/** Native handles of models, for {@link NeuMF.fromPretrained}. */
const handles = new WeakMap<object, Native.NativeModel>()

/** The native model behind `model`, when ncf-native built it. */
export function nativeOf(model: object): Native.NativeModel | undefined {
  return handles.get(model)
}

/** @internal Records the native model a model wraps (NcfModel's constructor). */
export function setNative(model: object, handle: Native.NativeModel): void {
  handles.set(model, handle)
}

/** Marks a constructor call that wraps an existing native model (load, NeuMF.fromPretrained). */
export const WRAP = Symbol('wrap')
/** A constructor argument that wraps an existing native model. */
export type Wrapped = { [WRAP]: Native.NativeModel; device?: Device }

/** What `load` needs of a model it built. */
export interface Registered {
  readonly kind: ModelKind
  dispose(): void
}

/** Builds the model class of a kind around a loaded handle; `info` is the file's stored info. */
export type Maker = (wrapped: Wrapped, info: Record<string, unknown>) => Registered
const makers = new Map<string, Maker>()

/** Lets {@link NcfModel.load} build models of `kind` (models.ts registers each class). */
export function registerKind(kind: ModelKind, make: Maker): void {
  makers.set(kind, make)
}

/** The maker of `kind`; any kind but the first three is a NeuMF, as files have always been read. */
export function makerOf(kind: string): Maker | undefined {
  return makers.get(kind) ?? makers.get('NeuMF')
}
