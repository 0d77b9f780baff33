const moment = require('moment-timezone');
const handlebars = require('handlebars');
const semver = require('semver');
const pep440 = require('@renovate/pep440');
const {parse} = require('csv-parse/sync');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.map(c => {
  try {
    switch (c.kind) {
      case 'moment': return {ok: moment(c.ms).tz(c.tz).format(c.fmt === null ? undefined : c.fmt)};
      case 'hbs': {
        const ctx = {};
        for (const [k, v] of Object.entries(c.scope)) ctx[k] = v;
        ctx.branch = function () { return c.branch; };
        ctx.nothing = function () { return ''; };  // a global that renders empty
        ctx.echo = function (...args) { const o = args.pop(); return args.map(a => a === undefined ? 'undefined' : String(a)).join('|') + ';' + Object.entries(o.hash).sort().map(([k, v]) => k + '=' + String(v)).join(','); };
        return {ok: handlebars.compile(c.template)(ctx)};
      }
      case 'semver': {
        const v = semver.valid(c.text);
        if (!v) return {ok: null};
        const p = semver.parse(c.text, {loose: true});
        return {ok: [p.version, p.major, p.minor, p.patch, p.prerelease.map(String), !!semver.prerelease(c.text)]};
      }
      case 'pep440': {
        if (!pep440.valid(c.text)) return {ok: null};
        const e = pep440.explain(c.text);
        return {ok: [pep440.clean(c.text), String(pep440.major(c.text)), String(pep440.minor(c.text)), String(pep440.patch(c.text)),
                     !(e.is_prerelease || e.is_postrelease || e.is_devrelease)]};
      }
      case 'list': {
        const records = parse(c.text, {columns: false, relaxQuotes: true, comment: '#', commentNoInfix: true,
                                       relaxColumnCount: true, skipEmptyLines: true});
        const res = [];
        for (const r of records) { res.push(r.length == 1 ? r[0] : r.join(',')); }
        return {ok: res.filter(i => i).map(i => i.trim())};
      }
      case 'fields': {
        const r = parse(c.text, {relaxColumnCount: true, skipEmptyLines: true})[0];
        return {ok: r.map(String)};
      }
      case 'regex': {
        const lit = c.pattern.match(/^\/(.+)\/(.*)$/);
        const m = lit ? c.text.match(new RegExp(lit[1], lit[2])) : c.text.match(c.pattern);
        return {ok: m ? Array.from(m, x => x === undefined ? null : x) : null};
      }
      case 'cmp': return {ok: c.keys.slice().sort((a, b) => a.localeCompare(b))};
    }
  } catch (e) { return {err: String(e.message || e)}; }
});
process.stdout.write(JSON.stringify(out));
