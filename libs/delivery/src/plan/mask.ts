/**
 * Masking of values before anything from a plan is printed (comments, job summaries, logs).
 *
 * Two rules, both applied everywhere a value is rendered:
 * 1. anything the provider schema marks sensitive (`before_sensitive` / `after_sensitive`, sensitive outputs) is
 *    never printed — Terraform still puts the clear value in `before`/`after`;
 * 2. attributes that usually carry secrets are masked even when the schema does not mark them: environment
 *    variables, user data, tokens, passwords, keys, connection strings, Kubernetes secret data, Helm values.
 */

export const MASK = '(masked)';
export const SENSITIVE = '(sensitive)';
export const UNKNOWN = '(known after apply)';

/** Attribute names (any nesting level) whose values are masked regardless of schema. */
export const SECRET_ATTRIBUTE_PATTERN =
  /(pass(word|wd|phrase)?$|passw|secret|token|private_?key|api_?key|access_?key|auth|credential|user_data|^environment$|^env$|^environment_variables$|^variables$|container_definitions|connection_?string|certificate_?(body|chain)?$|kubeconfig|client_key|key_material|^values$|^set_sensitive$|^data$|^binary_data$|^string_data$|^content$|^content_base64$|^sensitive_content$)/i;

/** Resource types whose every attribute value is masked (they exist to hold secrets). */
export const SECRET_TYPE_PATTERN = /(secret|password|private_key|access_key|credential|_token$|ssm_parameter)/i;

export function isSecretAttribute(name: string): boolean {
  return SECRET_ATTRIBUTE_PATTERN.test(name);
}

/** True when a sensitivity mask (`true`, or an object/array containing `true`) marks anything under it. */
export function containsSensitive(mask: unknown): boolean {
  if (mask === true) return true;
  if (Array.isArray(mask)) return mask.some(containsSensitive);
  if (typeof mask === 'object' && mask !== null) return Object.values(mask).some(containsSensitive);
  return false;
}

/** True when the value (an object or array) has, at any depth, a key that usually holds a secret. */
export function containsSecretKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsSecretKey);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).some(([k, v]) => isSecretAttribute(k) || containsSecretKey(v));
  }
  return false;
}

export function child(mask: unknown, key: string): unknown {
  if (mask === true) return true;
  if (typeof mask === 'object' && mask !== null) return (mask as Record<string, unknown>)[key];
  return undefined;
}

/** One value for display: masked or rendered as short JSON. */
export function displayValue(opts: {
  value: unknown;
  attribute: string;
  resourceType?: string;
  sensitive?: unknown;
  unknown?: unknown;
  maxLength?: number;
}): string {
  const { value, attribute, resourceType, sensitive, unknown } = opts;
  if (unknown === true) return UNKNOWN;
  if (containsSensitive(sensitive)) return SENSITIVE;
  if (isSecretAttribute(attribute) || (resourceType && SECRET_TYPE_PATTERN.test(resourceType)) || containsSecretKey(value)) {
    return MASK;
  }
  if (value === undefined) return 'null';
  const text = JSON.stringify(value) ?? 'null';
  const max = opts.maxLength ?? 80;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
