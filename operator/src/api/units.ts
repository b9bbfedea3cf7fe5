// Parsing of the value formats the contract uses: durations (500ms, 10s, 2m) and Kubernetes quantities.
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as `500ms`, `10s`, `2m`, `1h`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * FACTOR[m[2]!]!);
}

/** Whole seconds for Kubernetes probe fields, rounded up, at least `min`. */
export function durationSeconds(ms: number, min = 0): number {
  return Math.max(min, Math.ceil(ms / 1000));
}

// The Kubernetes quantity grammar (resource.Quantity), e.g. 100m, 0.5, 128Mi, 1Gi, 1e3.
export const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The numeric value of a Kubernetes quantity, or undefined when the string is not one. */
export function quantityValue(q: string): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][-+]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(q);
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (m[3] ? SUFFIX[m[3]]! : 1);
}

// DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters.
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// An IANA service name, as Kubernetes requires of port names (plus "has a letter", checked apart:
// the API server's RE2 patterns have no lookahead).
export const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Environment variable names that both Kubernetes and a POSIX shell accept.
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
