//! Similar users or items on the CPU, the twin of `ncf-gpu`'s `similarity.wgsl`: cosine
//! similarity per embedding part, averaged over the parts (NeuMF's two branches weigh the same).

use rayon::prelude::*;

use crate::error::Result;
use crate::infer::{Ranked, Side, check_similar, embedding_parts, side_rows, similar_from_scores};
use crate::model::Params;

/// Cosine similarity of every row to each query row (row-major `queries × rows`): per
/// embedding part `a·b / (|a| |b|)` (0 for a zero vector), averaged over the parts.
pub fn similarity_scores(p: &Params, side: Side, queries: &[u32]) -> Vec<f32> {
    let parts = embedding_parts(p.layout, side);
    let rows = side_rows(p.layout, side) as usize;
    let vec_of = |r: usize, (off, w): (usize, usize)| &p.data[off + r * w..off + (r + 1) * w];
    let norm = |x: &[f32]| x.iter().map(|t| t * t).sum::<f32>().sqrt();
    let norms: Vec<Vec<f32>> = parts.iter().map(|&part| (0..rows).map(|r| norm(vec_of(r, part))).collect()).collect();
    queries
        .par_iter()
        .flat_map_iter(|&q| {
            let (parts, norms) = (&parts, &norms);
            (0..rows).map(move |r| {
                let mut s = 0f32;
                for (part, n) in parts.iter().zip(norms) {
                    let (a, b) = (vec_of(q as usize, *part), vec_of(r, *part));
                    let d = n[q as usize] * n[r];
                    if d > 0.0 {
                        s += a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / d;
                    }
                }
                s / parts.len().max(1) as f32
            })
        })
        .collect()
}

/// The `k` rows most similar to row `query` by cosine similarity, on the CPU.
pub fn similar(p: &Params, side: Side, query: u32, k: u32) -> Result<Ranked> {
    check_similar(p.layout, side, &[query], k)?;
    let scores = similarity_scores(p, side, &[query]);
    Ok(similar_from_scores(&scores, side_rows(p.layout, side), &[query], k).remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::embeddings;
    use crate::model::{Layout, ModelKind, Tower};

    #[test]
    fn similar_items_by_cosine() {
        // Items 0 and 2 point the same way (different lengths); item 1 is orthogonal.
        let l = Layout::new(ModelKind::Gmf, 1, 3, 2).unwrap();
        let mut p = Params::init(l, 0);
        p.data[l.item_offset()..l.item_offset() + 6].copy_from_slice(&[1.0, 0.0, 0.0, 1.0, 3.0, 0.1]);
        let r = similar(&p, Side::Items, 0, 2).unwrap();
        assert_eq!(r.items, [2, 1]);
        assert!(r.scores[0] > 0.99 && r.scores[1].abs() < 1e-6);
        assert!(similar(&p, Side::Items, 3, 2).unwrap_err().to_string().contains("item"));
        let n = Layout::neural(ModelKind::NeuMf, 2, 3, 2, Tower::new(&[4, 2]).unwrap()).unwrap();
        assert_eq!(embeddings(&Params::init(n, 1), Side::Items).0, 4, "NeuMF joins both branches");
        // NeuMF: the mean of the GMF-branch and MLP-branch cosines. Item 0: GMF (1, 0), MLP
        // (1, 1); item 1: GMF (2, 0) (cos 1), MLP (−1, 1) (cos 0) → 0.5; item 2 is all zeros → 0.
        let mut q = Params::init(n, 1);
        q.data[n.item_offset()..n.item_offset() + 6].copy_from_slice(&[1.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
        q.data[n.mlp_item_offset()..n.mlp_item_offset() + 6].copy_from_slice(&[1.0, 1.0, -1.0, 1.0, 0.0, 0.0]);
        let s = similarity_scores(&q, Side::Items, &[0]);
        assert!((s[0] - 1.0).abs() < 1e-6 && (s[1] - 0.5).abs() < 1e-6 && s[2] == 0.0, "{s:?}");
    }
}
