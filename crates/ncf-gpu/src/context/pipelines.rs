//! The compute pipelines and bind group layouts, built once per context (wgpu's
//! `repeated_compute` pattern): shader modules are composed by `crate::shaders` and compiled
//! here, and every object carries a label so validation errors name it.

use crate::shaders::{self, AtomicMode};

/// Every pipeline of the crate with the layouts its bind groups are built against.
pub(crate) struct Pipelines {
    pub sampling_layout: wgpu::BindGroupLayout,
    pub gmf_layout: wgpu::BindGroupLayout,
    pub predict_layout: wgpu::BindGroupLayout,
    pub optim_layout: wgpu::BindGroupLayout,
    pub metrics_layout: wgpu::BindGroupLayout,
    pub sample_epoch: wgpu::ComputePipeline,
    /// Per model kind (index `kind as usize`: GMF, MF).
    pub forward_backward: [wgpu::ComputePipeline; 2],
    pub predict: [wgpu::ComputePipeline; 2],
    pub adam: wgpu::ComputePipeline,
    pub sgd: wgpu::ComputePipeline,
    /// Row-sparse steps (optim.wgsl): the touched rows and the dense parameters in one
    /// dispatch, and the row claims for backward paths that make none.
    pub sparse_layout: wgpu::BindGroupLayout,
    pub optimize_sparse: wgpu::ComputePipeline,
    pub claim_rows: wgpu::ComputePipeline,
    pub rank_cases: wgpu::ComputePipeline,
    pub rating_errors: wgpu::ComputePipeline,
    pub gemm_layout: wgpu::BindGroupLayout,
    pub gemm: wgpu::ComputePipeline,
    pub neural_layout: wgpu::BindGroupLayout,
    pub gather: wgpu::ComputePipeline,
    pub head_forward: wgpu::ComputePipeline,
    pub head_backward: wgpu::ComputePipeline,
    pub scatter: wgpu::ComputePipeline,
    /// The fused tower's training step (fused.wgsl): per-sample chain and weight-gradient sums.
    pub tower_layout: wgpu::BindGroupLayout,
    pub tower_train: wgpu::ComputePipeline,
    pub tower_weight_grads: wgpu::ComputePipeline,
    pub tower_score: wgpu::ComputePipeline,
    pub similarity_layout: wgpu::BindGroupLayout,
    pub cosine: wgpu::ComputePipeline,
    /// iALS (als.wgsl): the fixed side's Gramian and the conjugate-gradient row solves.
    pub als_layout: wgpu::BindGroupLayout,
    pub als_gramian: wgpu::ComputePipeline,
    pub als_solve_rows: wgpu::ComputePipeline,
}

#[derive(Clone, Copy)]
enum Slot {
    Uniform { dynamic: bool },
    Storage { read_only: bool },
}

/// A bind group layout of `(binding, slot)` pairs; bindings need not be contiguous, so entry
/// points of one module can each bind the subset they use.
fn layout(device: &wgpu::Device, label: &str, slots: &[(u32, Slot)]) -> wgpu::BindGroupLayout {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
        .iter()
        .map(|(b, slot)| wgpu::BindGroupLayoutEntry {
            binding: *b,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: match *slot {
                Slot::Uniform { dynamic } => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: dynamic,
                    min_binding_size: None,
                },
                Slot::Storage { read_only } => wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            },
            count: None,
        })
        .collect();
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries })
}

fn pipeline(
    device: &wgpu::Device,
    label: &str,
    source: &str,
    entry: &str,
    bgl: &wgpu::BindGroupLayout,
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(bgl)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pl),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

impl Pipelines {
    /// Every pipeline of the crate, for workgroup size `wg` and the device's atomics.
    pub(super) fn build(device: &wgpu::Device, wg: u32, mode: AtomicMode) -> Pipelines {
        use Slot::*;
        let ro = Storage { read_only: true };
        let rw = Storage { read_only: false };
        let dynu = Uniform { dynamic: true };
        let u = Uniform { dynamic: false };
        let sampling_layout = layout(
            device,
            "ncf sampling layout",
            &[(0, u), (1, ro), (2, ro), (3, ro), (4, rw), (5, rw), (6, rw), (7, ro)],
        );
        let gmf_layout = layout(
            device,
            "ncf factorization layout",
            &[(0, dynu), (1, ro), (2, rw), (3, ro), (4, ro), (5, ro), (6, rw), (8, ro), (9, rw), (10, rw)],
        );
        let predict_layout = layout(
            device,
            "ncf factorization predict layout",
            &[(0, dynu), (1, ro), (3, ro), (4, ro), (7, rw), (8, ro)],
        );
        let optim_layout = layout(device, "ncf optimizer layout", &[(0, dynu), (1, rw), (2, rw), (3, rw), (4, rw)]);
        let sparse_layout = layout(
            device,
            "ncf sparse optimizer layout",
            &[(0, dynu), (1, rw), (2, rw), (3, rw), (4, rw), (5, rw), (6, rw), (7, ro), (8, ro), (9, u)],
        );
        let metrics_layout = layout(device, "ncf metrics layout", &[(0, u), (1, ro), (2, rw), (3, rw), (4, ro)]);

        let sampling_src = shaders::compose(shaders::SAMPLING, wg, 0, None);
        let model_src = |m: u32| {
            shaders::compose(&shaders::scoring(shaders::FACTORIZATION), wg, m, Some((mode, &["grads", "step_loss"])))
        };
        let (gmf_src, mf_src) = (model_src(0), model_src(1));
        let optim_src = shaders::compose(shaders::OPTIM, wg, 0, Some((mode, &["grads"])));
        let metrics_src = shaders::compose(shaders::METRICS, wg, 0, None);
        let dense_src = shaders::compose(shaders::DENSE, wg, 0, None);
        let gemm_layout = layout(device, "ncf gemm layout", &[(0, dynu), (1, ro), (2, ro), (3, rw), (4, ro), (5, ro)]);
        let neural_layout = layout(
            device,
            "ncf neural layout",
            &[(0, dynu), (1, u), (2, ro), (3, rw), (4, ro), (5, ro), (6, ro), (7, rw), (8, ro), (9, rw), (10, ro)],
        );
        let neural_src =
            shaders::compose(&shaders::scoring(shaders::TOWER), wg, 0, Some((mode, &["grads", "step_loss"])));
        let neural = |entry: &str| pipeline(device, &format!("ncf neural {entry}"), &neural_src, entry, &neural_layout);
        let tower_layout = layout(
            device,
            "ncf fused tower layout",
            &[
                (0, dynu),
                (1, u),
                (2, ro),
                (3, rw),
                (4, ro),
                (5, ro),
                (6, ro),
                (7, rw),
                (9, rw),
                (10, ro),
                (11, rw),
                (12, u),
                (13, rw),
                (14, rw),
                (15, rw),
            ],
        );
        let tower_wg = shaders::fused_workgroup(wg);
        let tower_src = shaders::compose(&shaders::fused_tower(), tower_wg, 0, Some((mode, &["grads", "step_loss"])));
        let tower = |entry: &str| pipeline(device, &format!("ncf fused {entry}"), &tower_src, entry, &tower_layout);
        let similarity_layout = layout(device, "ncf similarity layout", &[(0, u), (1, ro), (2, ro), (3, rw)]);
        let similarity_src = shaders::compose(shaders::SIMILARITY, wg, 0, None);
        let als_layout = layout(device, "ncf als layout", &[(0, u), (1, rw), (2, ro), (3, ro), (4, rw)]);
        let als_src = shaders::compose(shaders::ALS, wg, 0, None);
        Pipelines {
            als_gramian: pipeline(device, "ncf als gramian", &als_src, "gramian", &als_layout),
            als_solve_rows: pipeline(device, "ncf als solve_rows", &als_src, "solve_rows", &als_layout),
            als_layout,
            sample_epoch: pipeline(device, "ncf sample_epoch", &sampling_src, "sample_epoch", &sampling_layout),
            forward_backward: [
                pipeline(device, "ncf gmf forward_backward", &gmf_src, "forward_backward", &gmf_layout),
                pipeline(device, "ncf mf forward_backward", &mf_src, "forward_backward", &gmf_layout),
            ],
            predict: [
                pipeline(device, "ncf gmf predict", &gmf_src, "predict", &predict_layout),
                pipeline(device, "ncf mf predict", &mf_src, "predict", &predict_layout),
            ],
            adam: pipeline(device, "ncf adam", &optim_src, "adam", &optim_layout),
            sgd: pipeline(device, "ncf sgd", &optim_src, "sgd", &optim_layout),
            optimize_sparse: pipeline(device, "ncf optimize_sparse", &optim_src, "optimize_sparse", &sparse_layout),
            claim_rows: pipeline(device, "ncf claim_rows", &optim_src, "claim_rows", &sparse_layout),
            sparse_layout,
            rank_cases: pipeline(device, "ncf rank_cases", &metrics_src, "rank_cases", &metrics_layout),
            rating_errors: pipeline(device, "ncf rating_errors", &metrics_src, "rating_errors", &metrics_layout),
            gemm: pipeline(device, "ncf dense gemm", &dense_src, "gemm", &gemm_layout),
            gather: neural("gather"),
            head_forward: neural("head_forward"),
            head_backward: neural("head_backward"),
            scatter: neural("scatter"),
            tower_train: tower("tower_train"),
            tower_weight_grads: tower("tower_weight_grads"),
            tower_score: tower("tower_score"),
            tower_layout,
            cosine: pipeline(device, "ncf similarity cosine", &similarity_src, "cosine", &similarity_layout),
            similarity_layout,
            neural_layout,
            gemm_layout,
            sampling_layout,
            gmf_layout,
            predict_layout,
            optim_layout,
            metrics_layout,
        }
    }
}
