/** Field values and their types as line protocol types them: what the parser yields, storage holds, Flux reads. */

export type FieldType = 'float' | 'integer' | 'unsigned' | 'string' | 'boolean';
/**
 * A field value typed as line protocol types it, in the plainest JS form: number is a float, bigint an
 * integer (`42i`), `{ unsigned }` an unsigned (`42u`), then string and boolean.
 */
export type FieldValue = number | bigint | string | boolean | { readonly unsigned: bigint };

export function fieldType(value: FieldValue): FieldType {
  switch (typeof value) {
    case 'number':
      return 'float';
    case 'bigint':
      return 'integer';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'unsigned';
  }
}
