// Reads YAML text into documents that remember where each field was written, for FILE:LINE:COL messages.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
} from "yaml";
import type { Path } from "./topology.ts";

export interface Position {
  line: number;
  col: number;
}

export interface SourceDocument {
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  /** Where the deepest existing part of `path` was written (a map entry's key, a list item). */
  locate(path: Path): Position;
}

export interface SyntaxError {
  position: Position;
  message: string;
}

/** How many nodes aliases may expand to, per document: far above any real topology, far below a bomb. */
const MAX_ALIAS_COUNT = 100;

function firstAlias(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node)) offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

export function readDocuments(text: string): { documents: SourceDocument[]; syntaxErrors: SyntaxError[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const syntaxErrors: SyntaxError[] = [];
  const documents: SourceDocument[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc: Document.Parsed, index) => {
    for (const e of doc.errors)
      syntaxErrors.push({ position: pos(e.pos[0]), message: e.message.split("\n")[0]! });
    if (doc.errors.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // An alias bomb (or any value that cannot be built): named at the first alias, else the document.
      syntaxErrors.push({ position: pos(firstAlias(doc) ?? doc.range[0]), message: (err as Error).message });
      return;
    }
    if (value === null || value === undefined) return;
    documents.push({
      index,
      value,
      locate(path) {
        let node: unknown = doc.contents;
        let offset = doc.contents?.range?.[0] ?? doc.range[0];
        for (const seg of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
            if (!pair) break;
            offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
            node = pair.value;
          } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
            node = node.items[seg];
            offset = (node as { range?: [number, number, number] }).range?.[0] ?? offset;
          } else break;
        }
        return pos(offset);
      },
    });
  });
  return { documents, syntaxErrors };
}
