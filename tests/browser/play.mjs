// Runner for tests/browser/hlsjs_play.sh.
// Usage: node play.mjs <hls-dir> [playlist=index.m3u8] [label]
// Serves <hls-dir> at /hls/, hls.js at /lib/ and player.html at / on 127.0.0.1
// (free port), opens the page in headless system Chromium via playwright-core,
// waits for the video's 'ended' event (timeout TIMEOUT_S, default 90 s) and
// checks it played as far as the playlist's #EXTINF total with no hls.js ERROR
// event and a start gap under MAX_START_GAP, and prints one PASS/FAIL line. Exit 0 on pass, 1 on fail.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const [hlsDir, playlist = 'index.m3u8', label = playlist] = process.argv.slice(2);
const timeoutS = Number(process.env.TIMEOUT_S || 90);
const MAX_START_GAP = 0.25; // seconds; source.flv (muxkit or ffmpeg) gives 0.08
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const types = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t',
                '.js': 'text/javascript', '.html': 'text/html', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4' };

function serve(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = decodeURIComponent(url.pathname);
  let file;
  if (p === '/') file = path.join(here, 'player.html');
  else if (p === '/lib/hls.min.js') file = path.join(here, 'node_modules/hls.js/dist/hls.min.js');
  else if (p.startsWith('/hls/')) file = path.join(hlsDir, path.normalize(p.slice(5)).replace(/^(\.\.[/\\])+/, ''));
  fs.readFile(file || '', (err, data) => {
    if (err) { res.writeHead(404); res.end(); return; }
    const type = types[path.extname(file)] || 'application/octet-stream';
    // Byte ranges (single-file playlists, EXT-X-BYTERANGE): hls.js asks with a Range header.
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : data.length - 1;
      if (start >= data.length || end < start) { res.writeHead(416); res.end(); return; }
      res.writeHead(206, { 'Content-Type': type,
                           'Content-Range': `bytes ${start}-${end}/${data.length}` });
      res.end(data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'Content-Type': type });
    res.end(data);
  });
}

let version = '?';
try {
  version = execFileSync(chromiumPath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString().match(/[\d.]+/)[0];
} catch { /* reported as '?' */ }

// The playlist's own length (sum of #EXTINF); playback must get this far. A multivariant
// playlist has none: its first variant's media playlist gives it. A playlist given as a URL
// (served by another origin, the page's own server serves only the player) is fetched.
const remote = /^https?:\/\//.test(playlist);
const readText = async (file) => remote
  ? await (await fetch(new URL(file, playlist))).text()
  : fs.readFileSync(path.join(hlsDir, file), 'utf8');
const total = (text) => [...text.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
const extinfTotal = async (file) => total(await readText(file));
const playlistText = await readText(playlist);
const firstVariant = /#EXT-X-STREAM-INF:[^\n]*\n([^#\n][^\n]*)/.exec(playlistText);
const expected = firstVariant ? await extinfTotal(firstVariant[1].trim()) : total(playlistText);

const started = Date.now();
const server = http.createServer(serve);
await new Promise(r => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muxkit-chromium-'));
let browser, r = null, failure = null;
try {
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
  });
  const page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', e => { failure = failure || `page error: ${e.message}`; });
  await page.goto(`http://127.0.0.1:${port}/?playlist=${encodeURIComponent(playlist)}&rate=4`);
  const deadline = started + timeoutS * 1000;
  while (Date.now() < deadline) {
    r = await page.evaluate(() => window.result);
    if (r && (r.ended || r.errors.some(e => e.fatal) || r.playError)) break;
    await new Promise(res => setTimeout(res, 250));
  }
  r = await page.evaluate(() => window.result);
  if (!failure && !r) failure = 'page never set window.result';
  else if (!failure && r.playError) failure = `play() rejected: ${r.playError}`;
  else if (!failure && r.errors.some(e => e.fatal)) failure = 'fatal hls.js error';
  else if (!failure && !r.ended) failure = `no 'ended' within ${timeoutS}s`;
  else if (!failure && !(r.startGap < MAX_START_GAP))
    failure = `buffer starts at ${r.startGap}s, more than ${MAX_START_GAP}s after 0`;
  else if (!failure && !(r.maxTime >= expected - 0.5))
    failure = `stopped at ${r.maxTime.toFixed(2)}s, playlist lasts ${expected.toFixed(2)}s`;
  // Media appended twice (a byte range served whole) plays longer than the playlist.
  else if (!failure && !(r.maxTime <= expected + 1))
    failure = `played ${r.maxTime.toFixed(2)}s, playlist lasts ${expected.toFixed(2)}s: media appended more than once`;
} catch (e) {
  failure = failure || `runner error: ${e.message.split('\n')[0]}`;
} finally {
  if (browser) await browser.close();
  server.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  const errors = r ? r.errors : [];
  if (!failure && errors.length) failure = `${errors.length} hls.js error(s)`;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const fmt = x => (typeof x === 'number' && isFinite(x) ? x.toFixed(2) : '?');
  console.log(`${failure ? 'FAIL' : 'PASS'} [${label}] hls.js ${r ? r.hlsVersion : '?'}, Chromium ${version}, ` +
              `played ${fmt(r && r.maxTime)}s of duration ${fmt(r && r.duration)}s (playlist ${fmt(expected)}s), ended=${!!(r && r.ended)}, start gap ${fmt(r && r.startGap)}s, ` +
              `hls.js errors=${errors.length}, took ${secs}s${failure ? ` -- ${failure}` : ''}`);
  for (const e of errors) console.log(`  error: fatal=${e.fatal} ${e.type}/${e.details} ${e.reason} ${e.url}`.trimEnd());
  process.exit(failure ? 1 : 0);
}
