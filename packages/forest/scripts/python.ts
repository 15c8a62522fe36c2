/** Finding a Python with scikit-learn and running the baseline script; scripts only, never the product. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BASELINE_SCRIPT = fileURLToPath(new URL('./sklearn-baseline.py', import.meta.url));

/** Debian's python3-sklearn lives under /usr/bin/python3, which is not the first python3 on PATH here. */
const CANDIDATES = ['/usr/bin/python3', 'python3'];

export type PythonProbe = { readonly python: string } | { readonly reason: string };

export function findPythonWith(modules: readonly string[]): PythonProbe {
  const reasons: string[] = [];
  for (const python of CANDIDATES) {
    const probe = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return { python };
    const lastLine = (probe.stderr ?? String(probe.error)).trim().split('\n').at(-1);
    reasons.push(`${python}: ${lastLine}`);
  }
  return { reason: `no Python with ${modules.join(', ')} (${reasons.join('; ')})` };
}

interface BaselineFacts {
  readonly fitSeconds: number;
  readonly nodes: number;
  readonly peakRssMb: number;
  readonly sklearnVersion: string;
}

export interface BaselineResult extends BaselineFacts {
  readonly accuracy: number;
}

export interface RegressionBaselineResult extends BaselineFacts {
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
}

/** StandardScaler + RandomForestClassifier(n_jobs=1) on the given data (see sklearn-baseline.py). */
export function runBaseline(python: string, args: readonly string[]): BaselineResult {
  return baseline(python, args) as BaselineResult;
}

/** StandardScaler + RandomForestRegressor(n_jobs=1): y_train.npy and y_test.npy hold float64 targets. */
export function runRegressionBaseline(python: string, args: readonly string[]): RegressionBaselineResult {
  return baseline(python, ['--task', 'regression', ...args]) as RegressionBaselineResult;
}

function baseline(python: string, args: readonly string[]): unknown {
  const run = spawnSync(python, [BASELINE_SCRIPT, ...args, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`sklearn baseline failed: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}
