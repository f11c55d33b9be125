// Screen-reader announcements through a polite ARIA live region. Streamed tutor text is
// announced a sentence at a time (a word at a time would be noise), the rest at the end.

import { h } from './dom.js';

const KEEP = 6;

export class Announcer {
  constructor(region) {
    this.region = region;
    this.buffer = '';
  }

  /** Adds streamed text; announces each finished sentence, and the remainder when `done`. */
  stream(text, done) {
    this.buffer += text;
    const cut = done ? this.buffer.length : lastSentenceEnd(this.buffer);
    if (cut > 0) {
      this.say(this.buffer.slice(0, cut));
      this.buffer = this.buffer.slice(cut);
    }
  }

  /** Announces one message now. */
  say(text) {
    const clean = String(text).replace(/\s+/g, ' ').trim();
    if (!clean) return;
    this.region.append(h('p', { text: clean }));
    while (this.region.childElementCount > KEEP) this.region.firstElementChild.remove();
  }
}

function lastSentenceEnd(text) {
  let end = 0;
  const re = /[.!?:](?=\s)|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + 1;
  return end;
}
