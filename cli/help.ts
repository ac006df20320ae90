// The command line's help texts: one per command, the data options shared by several.

export const HELP: Record<string, string> = {
  main: `ncf-native: train and serve Neural Collaborative Filtering recommenders (GMF, MF, MLP, NeuMF).

Usage: ncf-native <command> [options]

Commands:
  train      train a model on a data file or folder, save it, write a report
  evaluate   HR/NDCG@K of a saved model (sampled and full ranking), or RMSE/MAE/R²
  recommend  top-K items for a user, in the data's own ids
  similar    items (or users) nearest to one, by embedding cosine
  compare    train several models on one dataset: one table, one report
  info       the GPU adapter, backend and limits
  bench      training samples per second on this machine

Run 'ncf-native <command> --help' for its options and examples.
Exit codes: 0 success, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C).`,
  data: `Data (positional DATA):
  a MovieLens folder or file (u.data, ratings.dat), an NCF split (*.train.rating with
  *.test.rating and *.test.negative beside it, or their folder), a CSV/TSV with a header (see
  --columns), or 'synthetic' (a seeded demo set shipped with the package).
  Raw interactions are split leave-latest-out with 99 sampled negatives per test case
  (ratings: a random 20% per user).
  --format auto|movielens|csv|ncf|netflix|synthetic  (default auto)
  --test FILE     a separate test file in the same format (e.g. u1.test beside u1.base)
  --columns user=A,item=B[,rating=C][,timestamp=D]   CSV columns by header name or 0-based
                  position (default user=0,item=1: ratings and timestamps need naming)
  --task implicit|rating                             (default implicit)
  --seed N        seeds the split, the negatives and training (default 0)
  --device auto|gpu|cpu                              (default auto)
  --json          machine-readable results on stdout`,
  train: `Usage: ncf-native train DATA [options]

Model and training:
  --model gmf|mf|als|mlp|neumf   (default neumf)
  --factors N                predictive factors (default 8)
  --layers 64,32,16,8        MLP tower widths (MLP, NeuMF)
  --epochs N                 (default 20)
  --batch N                  (default 256)
  --negatives N              sampled negatives per positive (default 4; ratings 0)
  --optimizer adam|sgd|als   (default adam; als for --model als)
  --lr X                     (default 0.001)
  --l2 X  --dropout X  --biases
  --sparse                   update only the embedding rows each batch uses (LazyAdam)
  --validation leave-one-out|none   chooses the epoch kept (default leave-one-out)
  --patience N               early stopping after N epochs without a better validation value
  --out FILE                 save the model (ids and seen items included)
  --report FILE              write an HTML report with charts
  --checkpoint FILE          save model and optimizer state every --checkpoint-every epochs (1)
  --resume FILE              continue from such a checkpoint (same options; --epochs counts
                             from the start) to the result of an uninterrupted run
  --quiet, -q                no progress output

DATA_HELP

Examples:
  ncf-native train ../shared/data/ml-100k/u.data --epochs 10 --out model.ncf --report report.html
  ncf-native train synthetic --model gmf --factors 16 --device cpu
  ncf-native train u1.base --test u1.test --task rating --model mf --factors 32 --json
  ncf-native train u.data --epochs 50 --checkpoint run.ckpt      (later: the same with --resume run.ckpt)

Ctrl-C stops at the next submit: the model keeps its last complete epoch, is saved with
--out, and the command exits 130.`,
  evaluate: `Usage: ncf-native evaluate DATA --model FILE [options]

Evaluates a saved model on DATA, loaded and split as 'train' did (same --seed, --format).
  --model FILE       the saved model
  --k N              cut-off (default 10)
  --protocol sampled|full|both   (default both; rating models report RMSE, MAE, R²)

DATA_HELP

Examples:
  ncf-native evaluate ../shared/data/ml-100k/u.data --model model.ncf
  ncf-native evaluate u1.base --test u1.test --task rating --model mf.ncf --json`,
  recommend: `Usage: ncf-native recommend --model FILE --user ID [options]

  --model FILE    a saved model
  --user ID       the user, in the data's own ids
  --k N           how many (default 10)
  --include-seen  keep items the user already interacted with
  --device auto|gpu|cpu   --json

Examples:
  ncf-native recommend --model model.ncf --user 42 --k 10
  ncf-native recommend --model model.ncf --user 42 --json`,
  similar: `Usage: ncf-native similar --model FILE (--item ID | --user ID) [options]

  --model FILE   a saved model
  --item ID      an item, in the data's own ids (or --user ID for similar users)
  --k N          how many (default 10)
  --device auto|gpu|cpu   --json

Examples:
  ncf-native similar --model model.ncf --item 1 --k 10`,
  compare: `Usage: ncf-native compare DATA [options]

Trains each model with the same data, seed and training options, then prints one table and
(with --report) writes one HTML report.
  --models gmf,mlp,neumf     which models (default gmf,mlp,neumf)
  --report FILE              plus every training option of 'train' except --model and --out

DATA_HELP

Examples:
  ncf-native compare ../shared/data/ml-100k/u.data --epochs 10 --report compare.html
  ncf-native compare synthetic --models gmf,mf --device cpu --json`,
  info: `Usage: ncf-native info [--json]

The GPU adapter ncf-native would train on, its backend and limits.

Examples:
  ncf-native info
  ncf-native info --json`,
  bench: `Usage: ncf-native bench [options]

Training samples per second on this machine, on a synthetic dataset of MovieLens-1M's size
(or DATA), per device.
  --model gmf|mf|als|mlp|neumf   (default neumf)
  --factors N  --batch N     (defaults 8, 256)
  --epochs N                 measured epochs after one warm-up (default 2)
  --device auto|gpu|cpu|both (default both)
  --users N  --items N  --per-user N   synthetic size (default 6040, 3706, 160)
  --json

Examples:
  ncf-native bench
  ncf-native bench --model gmf --batch 1024 --device gpu --json`,
}

export function help(command: string): string {
  return (HELP[command] ?? HELP.main).replace('DATA_HELP', HELP.data)
}

export function usage(command: string): number {
  process.stdout.write(`${help(command)}\n`)
  return 0
}
