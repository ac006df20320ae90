//! Inference kernels against the CPU backend on fresh random weights: cosine similarity for
//! similarItems / similarUsers (every model kind, both sides, several queries, row counts that
//! cross workgroup edges and a zero row), and the rankings built from it. Tolerance: relative
//! 1e-4 + absolute 1e-5 (the GPU sums the dot product and both norms in one loop, the CPU
//! normalises first; both are f32).

mod common;

use common::{assert_close, random_params, rng, shared};
use ncf_core::backend::ranking;
use ncf_core::cpu::CpuBackend;
use ncf_core::cpu::similarity_scores;
use ncf_core::infer::{Side, similar_from_scores};
use ncf_core::{Layout, ModelKind, Tower};
use ncf_gpu::{GpuBackend, similarity_gpu};
use rand::Rng;

#[test]
fn similarity_matches_cpu() {
    let ctx = shared();
    let mut rng = rng();
    let wg = ctx.info.workgroup_size;
    // Users and items just past one and two workgroups.
    let (users, items) = (wg + 3, 2 * wg + 5);
    let tower = Tower::new(&[12, 6, 3]).unwrap();
    let layouts = [
        Layout::new(ModelKind::Gmf, users, items, 7).unwrap(),
        Layout::new(ModelKind::Mf, users, items, 5).unwrap(),
        Layout::neural(ModelKind::Mlp, users, items, 0, tower).unwrap(),
        Layout::neural(ModelKind::NeuMf, users, items, 4, tower).unwrap(),
    ];
    for l in layouts {
        let mut p = random_params(&mut rng, l);
        // A zero item (similarity 0 to everything, never NaN).
        for (off, w) in ncf_core::infer::embedding_parts(l, Side::Items) {
            p.data[off + 2 * w..off + 3 * w].fill(0.0);
        }
        for side in [Side::Users, Side::Items] {
            let rows = if side == Side::Users { users } else { items };
            let queries: Vec<u32> = (0..5).map(|_| rng.random_range(0..rows)).chain([2]).collect();
            let gpu = similarity_gpu(&ctx, &p, side, &queries).unwrap();
            let cpu = similarity_scores(&p, side, &queries);
            let what = format!("{:?} {side:?} cosine", l.kind);
            assert_close(&what, &gpu, &cpu, 1e-4, 1e-5);
            // A row's similarity to itself is 1 (0 for the zero item).
            for (r, &q) in queries.iter().enumerate() {
                let own = gpu[r * rows as usize + q as usize];
                let zero = side == Side::Items && q == 2;
                assert!((own - if zero { 0.0 } else { 1.0 }).abs() < 1e-5, "{what}: self-similarity {own}");
            }
            // The ranked scores agree (items may swap only where scores tie within tolerance).
            let (g, c) = (similar_from_scores(&gpu, rows, &queries, 5), similar_from_scores(&cpu, rows, &queries, 5));
            for (r, (a, b)) in g.iter().zip(&c).enumerate() {
                assert_close(&format!("{what} top-5 scores"), &a.scores, &b.scores, 1e-4, 1e-5);
                assert!(!a.items.contains(&queries[r]), "{what}: a query is never its own neighbour");
            }
        }
    }
}

#[test]
fn backend_similar_excludes_the_query_and_checks_input() {
    let ctx = shared();
    let l = Layout::new(ModelKind::Gmf, 10, 40, 4).unwrap();
    let p = random_params(&mut rng(), l);
    let gpu = ranking::similar(&GpuBackend { ctx }, &p, Side::Items, &[3, 7], 39).unwrap();
    let cpu = ranking::similar(&CpuBackend, &p, Side::Items, &[3, 7], 39).unwrap();
    for (r, q) in [3u32, 7].into_iter().enumerate() {
        assert_eq!(gpu[r].items.len(), 39, "k covers every other item");
        assert!(!gpu[r].items.contains(&q), "the query is not its own neighbour");
        let mut a = gpu[r].items.clone();
        let mut b = cpu[r].items.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
    let e = ranking::similar(&CpuBackend, &p, Side::Users, &[10], 3).unwrap_err();
    assert!(e.to_string().contains("user: 10 is not below the model's 10 users"), "{e}");
}
