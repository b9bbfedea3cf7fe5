// Reads YAML text into documents that remember where each field was written, for FILE:LINE:COL messages.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";
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
    const value = doc.toJS({ maxAliasCount: 100 });
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
