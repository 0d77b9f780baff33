// The classes of characters JavaScript's "i" flag takes for one another, as this Node
// decides them: without u/v (UTF-16 units, Canonicalize by toUpperCase) and with u
// (code points, simple case folding). Candidates are each character's lower and upper
// case forms; every pair is asked of `new RegExp(..., 'i'/'iu')` and the answers joined.
// Written into ghbuild/meta/_jsfold_data.py by record.py.
const hex = cp => cp.toString(16).padStart(4, '0');
function classes(limit, flags) {
  const parent = new Map();
  const find = x => { while (parent.has(x) && parent.get(x) !== x) x = parent.get(x); return x; };
  const join = (a, b) => { const ra = find(a), rb = find(b); if (ra !== rb) { parent.set(ra, rb); if (!parent.has(rb)) parent.set(rb, rb); } };
  const source = a => flags.includes('u') ? `^\\u{${hex(a)}}$` : `^\\u${hex(a)}$`;
  const same = (a, b) => new RegExp(source(a), flags).test(String.fromCodePoint(b));
  for (let cp = 0; cp < limit; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    const ch = String.fromCodePoint(cp);
    for (const other of [ch.toLowerCase(), ch.toUpperCase()]) {
      const points = [...other];
      if (points.length !== 1) continue;
      const o = points[0].codePointAt(0);
      if (o !== cp && o < limit && same(cp, o) && same(o, cp)) join(cp, o);
    }
  }
  const groups = new Map();
  for (const cp of parent.keys()) { const r = find(cp); if (!groups.has(r)) groups.set(r, []); groups.get(r).push(cp); }
  const out = [...groups.values()].filter(g => g.length > 1).map(g => g.sort((a, b) => a - b));
  // every member must match every other, or the joining was wrong
  for (const g of out) for (const a of g) for (const b of g) if (!same(a, b)) throw new Error(`not one class: ${g}`);
  return out.sort((a, b) => a[0] - b[0]);
}
process.stdout.write(JSON.stringify({legacy: classes(0x10000, 'i'), unicode: classes(0x110000, 'iu')}));
