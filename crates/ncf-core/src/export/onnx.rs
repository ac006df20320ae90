//! The whole scoring graph of a model as ONNX (opset 17), for ONNX Runtime or any other
//! engine: inputs `user` and `item` (int64 rows, one pair per position), outputs `logit` (z) and
//! `score` (what `predict` returns: σ(z), or a rating model's r̂ = clip(z + μ)). The graph is
//! the CPU backend's forward pass written in ONNX operators (He et al. eq. 10–12):
//!
//! - GMF branch: `Gather` both rows, `Mul`, `MatMul` by h_g (MF: a column of ones);
//! - MLP tower: `Gather`, `Concat`, then per layer `Gemm` (W transposed, as stored) + `Relu`,
//!   then `MatMul` by h_m;
//! - biases b_u, b_i (`Gather`) and b (`Add`), then `Sigmoid` or `Add` μ + `Clip`.

use prost::Message;

use super::onnx_proto::*;
use crate::error::{NcfError, Result};
use crate::metrics::RatingScale;
use crate::model::{ModelKind, Params};

/// Protobuf's hard limit on one message: larger graphs need ONNX's external data files.
const PROTOBUF_LIMIT: usize = 2 << 30;

/// Builds nodes and initializers with generated names.
struct Graph {
    g: GraphProto,
    next: usize,
}

impl Graph {
    fn tensor(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        self.g.initializer.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: FLOAT,
            name: name.to_string(),
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.to_string()
    }
    fn ints(&mut self, name: &str, data: &[i64]) -> String {
        self.g.initializer.push(TensorProto {
            dims: vec![data.len() as i64],
            data_type: INT64,
            name: name.to_string(),
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.to_string()
    }
    /// Adds `op(inputs)` with integer attributes and returns its output's name.
    fn node(&mut self, op: &str, inputs: &[&str], ints: &[(&str, i64)]) -> String {
        self.next += 1;
        let out = format!("{}_{}", op.to_lowercase(), self.next);
        self.node_named(op, inputs, ints, &out);
        out
    }
    fn node_named(&mut self, op: &str, inputs: &[&str], ints: &[(&str, i64)], out: &str) {
        self.g.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.to_string()],
            name: format!("{op}_{}", self.g.node.len()),
            op_type: op.to_string(),
            attribute: ints
                .iter()
                .map(|&(name, i)| AttributeProto { name: name.to_string(), i, r#type: ATTRIBUTE_INT })
                .collect(),
        });
    }
}

fn value(name: &str, elem: i32, doc: &str) -> ValueInfoProto {
    let dim = Dimension { dim_value: None, dim_param: Some("pairs".into()) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto { elem_type: elem, shape: Some(TensorShapeProto { dim: vec![dim] }) }),
        }),
        doc_string: doc.into(),
    }
}

/// The serialized ONNX model of `params` (`scale`: a rating model's; `kind_name` and the ids'
/// presence go into the metadata). Models with side features are refused: their rows are
/// sums over feature bags, which this graph does not encode.
pub fn to_onnx(params: &Params, scale: Option<RatingScale>, kind_name: &str) -> Result<Vec<u8>> {
    let l = params.layout;
    if l.features != Default::default() {
        return Err(NcfError::invalid(
            "exportOnnx",
            "a model with side features cannot be exported (its rows are sums over feature bags)",
        ));
    }
    let bytes = l.len() * 4;
    if bytes > PROTOBUF_LIMIT - (64 << 20) {
        return Err(NcfError::invalid(
            "exportOnnx",
            format!("the model's {bytes} bytes of weights exceed protobuf's 2 GiB limit on one ONNX file"),
        ));
    }
    let d = &params.data;
    let (nu, ni, f, e) = (l.num_users as usize, l.num_items as usize, l.factors as usize, l.tower.embedding() as usize);
    let mut g = Graph { g: GraphProto { name: format!("ncf-native {kind_name}"), ..Default::default() }, next: 0 };
    let mut parts: Vec<String> = Vec::new();
    let h = &d[l.head_offset()..][..l.h_len()];
    if f > 0 {
        let p = g.tensor("gmf_user_embedding", &[nu, f], &d[l.user_offset()..][..nu * f]);
        let q = g.tensor("gmf_item_embedding", &[ni, f], &d[l.item_offset()..][..ni * f]);
        let pu = g.node("Gather", &[&p, "user"], &[("axis", 0)]);
        let qi = g.node("Gather", &[&q, "item"], &[("axis", 0)]);
        let m = g.node("Mul", &[&pu, &qi], &[]);
        let hg = if l.kind == ModelKind::Mf { vec![1.0; f] } else { h[..f].to_vec() };
        let hg = g.tensor("h_gmf", &[f, 1], &hg);
        parts.push(g.node("MatMul", &[&m, &hg], &[]));
    }
    if l.kind.is_neural() {
        let t = l.tower;
        let p = g.tensor("mlp_user_embedding", &[nu, e], &d[l.mlp_user_offset()..][..nu * e]);
        let q = g.tensor("mlp_item_embedding", &[ni, e], &d[l.mlp_item_offset()..][..ni * e]);
        let pu = g.node("Gather", &[&p, "user"], &[("axis", 0)]);
        let qi = g.node("Gather", &[&q, "item"], &[("axis", 0)]);
        let mut x = g.node("Concat", &[&pu, &qi], &[("axis", 1)]);
        for layer in 1..=t.layers() {
            let (inp, out) = t.dims(layer);
            let w = g.tensor(&format!("mlp_{layer}_weight"), &[out, inp], &d[l.weight_offset(layer)..][..out * inp]);
            let b = g.tensor(&format!("mlp_{layer}_bias"), &[out], &d[l.layer_bias_offset(layer)..][..out]);
            let y = g.node("Gemm", &[&x, &w, &b], &[("transB", 1)]);
            x = g.node("Relu", &[&y], &[]);
        }
        let out = t.output() as usize;
        let hm = g.tensor("h_mlp", &[out, 1], &h[f..f + out]);
        parts.push(g.node("MatMul", &[&x, &hm], &[]));
    }
    let mut sum = parts[0].clone();
    for p in &parts[1..] {
        sum = g.node("Add", &[&sum, p], &[]);
    }
    let flat = g.ints("flat", &[-1]);
    let mut z = g.node("Reshape", &[&sum, &flat], &[]);
    if l.biases {
        let bu = g.tensor("user_bias", &[nu], &d[l.user_bias_offset()..][..nu]);
        let bi = g.tensor("item_bias", &[ni], &d[l.item_bias_offset()..][..ni]);
        let gu = g.node("Gather", &[&bu, "user"], &[("axis", 0)]);
        let gi = g.node("Gather", &[&bi, "item"], &[("axis", 0)]);
        z = g.node("Add", &[&z, &gu], &[]);
        z = g.node("Add", &[&z, &gi], &[]);
    }
    let b = g.tensor("bias", &[], &d[l.b_offset()..][..1]);
    g.node_named("Add", &[&z, &b], &[], "logit");
    match scale {
        None => g.node_named("Sigmoid", &["logit"], &[], "score"),
        Some(s) => {
            let mean = g.tensor("rating_mean", &[], &[s.mean]);
            let r = g.node("Add", &["logit", &mean], &[]);
            if s.clip {
                let (lo, hi) = (g.tensor("rating_min", &[], &[s.min]), g.tensor("rating_max", &[], &[s.max]));
                g.node_named("Clip", &[&r, &lo, &hi], &[], "score");
            } else {
                g.node_named("Identity", &[&r], &[], "score");
            }
        }
    }
    g.g.input = vec![
        value("user", INT64, "user rows (the model's indices: encode ids first)"),
        value("item", INT64, "item rows"),
    ];
    let what = if scale.is_some() { "predicted rating r̂ = clip(z + μ)" } else { "σ(z), as predict returns" };
    g.g.output = vec![value("logit", FLOAT, "z, as recommend ranks by"), value("score", FLOAT, what)];
    let model = ModelProto {
        ir_version: 8,
        producer_name: "ncf-native".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!("{kind_name} scoring graph: (user, item) rows → logit, score"),
        graph: Some(g.g),
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
        metadata_props: vec![
            StringStringEntryProto { key: "kind".into(), value: kind_name.into() },
            StringStringEntryProto { key: "num_users".into(), value: nu.to_string() },
            StringStringEntryProto { key: "num_items".into(), value: ni.to_string() },
        ],
    };
    Ok(model.encode_to_vec())
}
