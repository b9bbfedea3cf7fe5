// A YAML emitter for JSON values (objects, arrays, strings, finite numbers, booleans, null): what
// `topo render` prints and the compose files Topo writes, in the layout the `yaml` package gives them (two-space indents,
// sequences indented under their key, block literals for multi-line strings). The `yaml` package builds a
// node tree for every value first and spends half a second on the 1.2 MB of a 250-node render; this writes
// the text in one pass. Parsing stays with the `yaml` package; yaml.test.ts reads every emitted document
// back through it.
//
// A string is written plain only when no YAML 1.1 or 1.2 reader can take it for anything else: kubectl
// (sigs.k8s.io/yaml) and docker-compose 1.29 (PyYAML) read YAML 1.1, where `on`, `yes` and `1:20` are not
// strings. Anything in doubt is double-quoted.

/** Characters a plain scalar may hold here (a conservative subset of what YAML allows). */
const PLAIN = /^(?:[A-Za-z0-9_./($]|-(?=[A-Za-z0-9_./($-]))[A-Za-z0-9 _./:=@+,()~$\-{}[\]'"#%*&!?;<>^|\\]*$/;
/** Null and booleans of YAML 1.1 and 1.2. */
const RESERVED =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
/** Integers, floats, sexagesimals, infinities and timestamps of YAML 1.1 and 1.2. */
const NUMERIC = [
  /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];
/** What a block literal cannot hold: control characters other than tab and newline, and line separators. */
// eslint-disable-next-line no-control-regex
const NOT_LITERAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\r]/;
/** What JSON.stringify leaves raw but YAML reads as a line break or a byte-order mark. */
const YAML_BREAKS = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

function plain(s: string): boolean {
  return (
    PLAIN.test(s) &&
    !s.endsWith(" ") &&
    !s.endsWith(":") &&
    !s.includes(": ") &&
    !s.includes(" #") &&
    !RESERVED.test(s) &&
    !NUMERIC.some((r) => r.test(s))
  );
}

function quoted(s: string): string {
  return JSON.stringify(s).replace(YAML_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A scalar on one line: a plain or double-quoted string, a number, a boolean or null. */
function scalar(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return plain(value) ? value : quoted(value);
    case "number":
      if (Number.isFinite(value)) return String(value);
      return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
    case "boolean":
      return String(value);
    default:
      throw new TypeError(`cannot write a ${typeof value} as YAML`);
  }
}

/** A multi-line string as a block literal (`|`, `|-` or `|+` by its trailing newlines), where it can be. */
function literal(s: string, indent: string): string | undefined {
  if (!s.includes("\n") || NOT_LITERAL.test(s) || /^[ \t\n]/.test(s)) return undefined;
  const body = s.replace(/\n+$/, "");
  const trailing = s.length - body.length;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const lines = (trailing > 1 ? s.slice(0, -1) : body).split("\n");
  return `|${chomp}\n${lines.map((l) => (l === "" ? "" : indent + l)).join("\n")}`;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Writes `value`, the value of a key or a sequence item; `indent` is its children's indent. */
function write(value: unknown, indent: string, afterDash: boolean, strings: Map<string, string>): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return " []";
    let out = "";
    const inner = `${indent}  `;
    for (let i = 0; i < value.length; i++) {
      // A sequence as a sequence item starts on the dash's line, as the `yaml` package writes it.
      out += i === 0 && afterDash ? " -" : `\n${indent}-`;
      const item: unknown = value[i];
      out += write(item === undefined ? null : item, inner, true, strings);
    }
    return out;
  }
  if (isMap(value)) {
    let out = "";
    let first = afterDash;
    const inner = `${indent}  `;
    for (const k in value) {
      const v = value[k];
      if (v === undefined || typeof v === "function") continue;
      out += first ? ` ${text(k, strings)}:` : `\n${indent}${text(k, strings)}:`;
      first = false;
      // Under a key, a sequence is indented two more, a map's keys too; after a dash, on its line.
      out += write(v, inner, false, strings);
    }
    return out === "" ? " {}" : out;
  }
  if (typeof value === "string") {
    if (value.includes("\n")) {
      const block = literal(value, indent);
      if (block !== undefined) return ` ${block}`;
    }
    return ` ${text(value, strings)}`;
  }
  return ` ${scalar(value)}`;
}

/** A one-line string as written, remembered: keys and names recur thousands of times in a large render. */
function text(s: string, strings: Map<string, string>): string {
  let t = strings.get(s);
  if (t === undefined) {
    t = scalar(s);
    if (s.length <= 256) strings.set(s, t);
  }
  return t;
}

/** One YAML document for `value`, ending in a newline; `strings` may be shared by several documents. */
export function toYaml(value: unknown, strings = new Map<string, string>()): string {
  const out = write(value, "", false, strings);
  // Top-level entries start with "\n": drop the first; a lone scalar, `[]` or `{}` drops its space.
  return `${out.slice(1)}\n`;
}

/** Documents for each value, separated by `---` as kubectl prints a list of objects. */
export function toYamlDocuments(values: readonly unknown[]): string {
  const strings = new Map<string, string>();
  return values.map((v) => toYaml(v, strings)).join("---\n");
}
