/** A line of the prediction log, checked: a prediction, or why it is not one. */
import { type Prediction, predictionSchema } from '@pdm/contract';

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'not_json' | 'not_a_prediction'; readonly detail: string };

export function parsePredictionLine(text: string): Checked<Prediction> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: (err as Error).message };
  }
  const result = predictionSchema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const detail = result.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason: 'not_a_prediction', detail };
}
