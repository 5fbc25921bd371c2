// Measures texts with the official twitter-text (npm package `twitter-text`, 3.x), for the differential test in
// tests/twitter_text_differential.rs. Reads one JSON string per line on stdin; writes, first, one JSON line with the
// package's version, then one JSON line per text, in order: parseTweet's weightedLength, valid and validRangeEnd.
// The package is found through NODE_PATH (the test points it at the npm prefix that `.ci/run` installs into).
'use strict';
const twttr = require('twitter-text');
const version = require('twitter-text/package.json').version;

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line.length > 0);
  const out = [JSON.stringify({ version })];
  for (const line of lines) {
    const result = twttr.parseTweet(JSON.parse(line));
    out.push(JSON.stringify({
      weightedLength: result.weightedLength,
      valid: result.valid,
      validRangeEnd: result.validRangeEnd,
    }));
  }
  process.stdout.write(out.join('\n') + '\n');
});
