//! Exports: the MIPS vectors' inner products are the logits for every
//! factorisation layout, the ONNX graph carries every weight under the names its nodes use and
//! decodes as ONNX, and what cannot be exported is refused by name. (onnxruntime runs the graph
//! against `predict` in `__test__/export.test.ts`.)

use prost::Message;

use super::onnx_proto::{FLOAT, ModelProto};
use super::{mips_vectors, to_onnx};
use crate::metrics::RatingScale;
use crate::model::{Layout, ModelKind, Params, Tower};

fn biased(p: &mut Params) {
    let l = p.layout;
    let (bu, b) = (l.user_bias_offset(), l.b_offset());
    p.data[bu..=b].iter_mut().enumerate().for_each(|(k, x)| *x = 0.05 * ((k * 7 % 11) as f32 - 5.0));
}

#[test]
fn mips_vectors_reproduce_every_factorisation_logit() {
    let layouts = [
        Layout::new(ModelKind::Mf, 13, 17, 5).unwrap(),
        Layout::new(ModelKind::Mf, 13, 17, 5).unwrap().with_biases(false).unwrap(),
        Layout::new(ModelKind::Gmf, 13, 17, 5).unwrap(),
        Layout::new(ModelKind::Gmf, 13, 17, 5).unwrap().with_biases(true).unwrap(),
    ];
    for l in layouts {
        let mut p = Params::init_with_std(l, 3, 0.4);
        biased(&mut p);
        if l.kind == ModelKind::Gmf {
            let h = l.head_offset();
            p.data[h..h + 5].copy_from_slice(&[0.5, -1.0, 2.0, 0.1, 1.5]);
        }
        let (dim, users, items) = mips_vectors(&p).unwrap();
        assert_eq!((dim, users.len(), items.len()), (7, 13 * 7, 17 * 7));
        for u in 0..13u32 {
            for i in 0..17u32 {
                let dot: f32 = (0..dim).map(|k| users[u as usize * dim + k] * items[i as usize * dim + k]).sum();
                let z = p.logit(u, i);
                assert!(
                    (dot - z).abs() <= 1e-5 + 1e-5 * z.abs(),
                    "{:?} biases {}: ({u}, {i}) {dot} vs {z}",
                    l.kind,
                    l.biases
                );
            }
        }
    }
    let mlp = Layout::neural(ModelKind::Mlp, 4, 4, 0, Tower::for_factors(4, 2).unwrap()).unwrap();
    let e = mips_vectors(&Params::init(mlp, 1)).unwrap_err().to_string();
    assert!(e.starts_with("exportEmbeddings: MLP scores through its MLP tower"), "{e}");
}

#[test]
fn onnx_graph_holds_every_weight_under_its_nodes_names() {
    let tower = Tower::for_factors(4, 3).unwrap();
    let l = Layout::neural(ModelKind::NeuMf, 9, 11, 4, tower).unwrap().with_biases(true).unwrap();
    let mut p = Params::init_with_std(l, 2, 0.2);
    biased(&mut p);
    for scale in [None, Some(RatingScale { mean: 3.5, min: 1.0, max: 5.0, clip: true })] {
        let bytes = to_onnx(&p, scale, "NeuMF").unwrap();
        let m = ModelProto::decode(bytes.as_slice()).unwrap();
        let g = m.graph.unwrap();
        assert_eq!(m.opset_import[0].version, 17);
        assert_eq!(g.input.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["user", "item"]);
        assert_eq!(g.output.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["logit", "score"]);
        // Every weight, once: the float initializers hold the whole parameter vector (plus h_gmf
        // and h_mlp, which split h, and the rating constants).
        let floats: usize = g.initializer.iter().filter(|t| t.data_type == FLOAT).map(|t| t.raw_data.len() / 4).sum();
        assert_eq!(floats, l.len() + if scale.is_some() { 3 } else { 0 });
        let w1 = g.initializer.iter().find(|t| t.name == "mlp_1_weight").unwrap();
        let (inp, out) = l.tower.dims(1);
        assert_eq!(w1.dims, [out as i64, inp as i64]);
        let first = f32::from_le_bytes(w1.raw_data[..4].try_into().unwrap());
        assert_eq!(first.to_bits(), p.data[l.weight_offset(1)].to_bits());
        // Every node input is a graph input, an initializer or an earlier node's output.
        let mut known: Vec<String> = ["user", "item"].map(String::from).into();
        known.extend(g.initializer.iter().map(|t| t.name.clone()));
        for n in &g.node {
            for i in &n.input {
                assert!(known.contains(i), "{} reads {i} before it exists", n.name);
            }
            known.extend(n.output.iter().cloned());
        }
        let last = &g.node.last().unwrap().op_type;
        assert_eq!(last, if scale.is_some() { "Clip" } else { "Sigmoid" });
    }
}
