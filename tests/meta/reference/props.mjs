// Which \p{...} names Node accepts: candidates from the Unicode alias tables packaged for
// ECMAScript, each tried with `new RegExp` (see record.py, which writes ghbuild/meta/jsprops.py).
// ESM ignores NODE_PATH: the packages are found through require's resolution instead
import {createRequire} from 'module';
const require = createRequire(import.meta.url);
const {default: aliases} = await import(require.resolve('unicode-property-aliases-ecmascript'));
const values = require('unicode-property-value-aliases-ecmascript');
const accepts = (text, flags) => { try { new RegExp(`\\p{${text}}`, flags); return true; } catch { return false; } };
const both = map => [...new Set([...map].flat())];
const gcValues = both(values.get('General_Category'));
const scripts = both(values.get('Script'));
const lone = [...new Set([...both(aliases), ...gcValues, 'Any', 'ASCII', 'Assigned'])];
const strings = ['Basic_Emoji', 'Emoji_Keycap_Sequence', 'RGI_Emoji', 'RGI_Emoji_Flag_Sequence',
                 'RGI_Emoji_Modifier_Sequence', 'RGI_Emoji_Tag_Sequence', 'RGI_Emoji_ZWJ_Sequence'];
const out = {
  gc: gcValues.filter(v => accepts(`General_Category=${v}`, 'u')).sort(),
  binary: lone.filter(v => accepts(v, 'u') && !accepts(`gc=${v}`, 'u')).sort(),
  script: scripts.filter(v => accepts(`Script=${v}`, 'u')).sort(),
  gc_names: ['General_Category', 'gc'].filter(n => accepts(`${n}=L`, 'u')),
  script_names: ['Script', 'sc', 'Script_Extensions', 'scx'].filter(n => accepts(`${n}=Latin`, 'u')),
  strings: strings.filter(v => accepts(v, 'v') && !accepts(v, 'u')),
};
// every script value must be valid for all four names, and each gc value alone
if (!out.script.every(v => out.script_names.every(n => accepts(`${n}=${v}`, 'u'))) ||
    !out.gc.every(v => accepts(v, 'u'))) throw new Error('unexpected table shape');
process.stdout.write(JSON.stringify(out));
