/** A JSON value (what flavor configs, manifests and jsonb columns hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
