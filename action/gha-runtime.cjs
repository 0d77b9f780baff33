// Hands the Actions runtime variables to ghbuild's own step, and to nothing else.
//
// GitHub gives ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_URL and ACTIONS_RESULTS_URL only to
// JavaScript and container actions, never to `run:` steps, yet BuildKit's `gha` cache
// backend needs them. action.yml loads this file inside actions/github-script (a
// JavaScript action) and passes the values on as step outputs of that one step; the
// next step maps them into its own `env:`. Unlike exporting them with GITHUB_ENV (what
// crazy-max/ghaction-github-runtime does), later steps of the job never see them.
// The token is masked before it is written anywhere.
//
// No dependency on @actions/core: workflow commands on stdout and the GITHUB_OUTPUT
// file format are all it needs, so tests can run it with plain node.
'use strict';

const crypto = require('crypto');
const fs = require('fs');

const NAMES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_SERVICE_V2',
];

function handOver(env = process.env, out = process.stdout) {
  const file = env.GITHUB_OUTPUT;
  if (!file) {
    throw new Error('GITHUB_OUTPUT is not set: not running as an Actions step');
  }
  const token = env.ACTIONS_RUNTIME_TOKEN || '';
  if (token) {
    out.write(`::add-mask::${token}\n`);
  }
  let text = '';
  for (const name of NAMES) {
    const delim = `ghadelim_${crypto.randomUUID()}`;
    text += `${name.toLowerCase()}<<${delim}\n${env[name] || ''}\n${delim}\n`;
  }
  fs.appendFileSync(file, text);
  const present = NAMES.filter((name) => env[name]);
  out.write(`runtime variables handed over: ${present.join(', ') || 'none'}\n`);
  return present;
}

module.exports = handOver;
