// Turns a message's plain text into DOM nodes: paragraphs, bullet lists, code blocks
// (``` fences and indented blocks, indentation kept) and `inline code`. It builds nodes
// with textContent only, so text that looks like HTML stays text.

import { h } from './dom.js';

const FENCE = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/;
const INDENTED = /^( {4}|\t)/;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*(\d+)[.)]\s+(.*)$/;
// A line that opens a block in common languages: pulled into a following indented block.
const CODE_HEAD = /^\s*(async\s+def|def|class|for|while|if|elif|else|with|try|except|finally|function|fn|impl|match)\b.*[:{]\s*$/;

/** Splits text into blocks: `{kind: 'p'|'code'|'ul'|'ol', text?, lang?, items?}`. */
export function parseBlocks(text) {
  const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let para = [];
  const flush = () => {
    if (para.length) blocks.push({ kind: 'p', text: para.join('\n') });
    para = [];
  };
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    const fence = line.match(FENCE);
    if (fence) {
      flush();
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i += 1; // the closing fence (absent while a reply is still streaming)
      blocks.push({ kind: 'code', text: dedent(body).join('\n'), lang: fence[2] || '' });
      continue;
    }
    if (INDENTED.test(line) && line.trim() !== '') {
      const body = [];
      if (para.length && CODE_HEAD.test(para[para.length - 1])) body.push(para.pop());
      flush();
      while (i < lines.length && (INDENTED.test(lines[i]) || nextIndented(lines, i))) {
        body.push(lines[i++]);
      }
      blocks.push({ kind: 'code', text: dedent(body).join('\n'), lang: '' });
      continue;
    }
    const list = listRun(lines, i);
    if (list) {
      flush();
      blocks.push(list.block);
      i = list.next;
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
    i += 1;
  }
  flush();
  return blocks;
}

function nextIndented(lines, i) {
  return lines[i].trim() === '' && i + 1 < lines.length && INDENTED.test(lines[i + 1]);
}

function listRun(lines, start) {
  const first = lines[start].match(BULLET) ? BULLET : lines[start].match(NUMBERED) ? NUMBERED : null;
  if (!first) return null;
  const items = [];
  let i = start;
  for (; i < lines.length; i += 1) {
    const m = lines[i].match(first);
    if (!m) break;
    items.push(m[m.length - 1]);
  }
  return { block: { kind: first === BULLET ? 'ul' : 'ol', items }, next: i };
}

/** Removes the indentation every non-blank line shares, keeping the rest. */
export function dedent(lines) {
  const widths = lines
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/\t/g, '    ').match(/^ */)[0].length);
  const cut = widths.length ? Math.min(...widths) : 0;
  return lines.map((l) => l.replace(/\t/g, '    ').slice(cut));
}

/** Inline spans: `code` and **strong**, everything else plain text. */
export function inline(text) {
  const out = [];
  const re = /`([^`\n]+)`|\*\*([^*\n]+)\*\*/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] !== undefined ? h('code', { text: m[1] }) : h('strong', { text: m[2] }));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The DOM for a message: a fragment of block elements. */
export function renderRich(text) {
  const frag = document.createDocumentFragment();
  for (const block of parseBlocks(text)) {
    if (block.kind === 'p') frag.append(h('p', {}, inline(block.text)));
    else if (block.kind === 'code') {
      const label = block.lang ? `Code (${block.lang})` : 'Code';
      frag.append(
        h('pre', { class: 'code', tabindex: '0', 'aria-label': label, dataset: { lang: block.lang } },
          h('code', { text: block.text })),
      );
    } else {
      frag.append(h(block.kind, {}, block.items.map((item) => h('li', {}, inline(item)))));
    }
  }
  return frag;
}
