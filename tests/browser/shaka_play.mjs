// Runner for tests/browser/shaka_play.sh.
// Usage: node shaka_play.mjs <media-dir> [manifest=manifest.mpd] [label]
// Serves <media-dir> at /media/ (answering Range requests), shaka-player's
// compiled build at /lib/ and shaka_player.html at / on 127.0.0.1 (free port),
// opens the page in headless system Chromium via playwright-core, lets shaka
// load the manifest (DASH .mpd or HLS .m3u8), plays it at 4x and waits for the
// video's 'ended' event (timeout TIMEOUT_S, default 90 s). It passes when
// playback got as far as the manifest's own length (MPD@mediaPresentationDuration,
// else the sum of Period@duration; for HLS the #EXTINF total of the (first
// variant's) media playlist) and not more than 1 s past it, the buffer starts
// less than MAX_START_GAP after 0, and shaka raised no 'error' event at all
// (any severity) and load() did not reject. Before playing, an MPD fails when
// it has no length, or when a SegmentTimeline ends more than TIMELINE_SLACK
// away from it; EXPECT_DURATION=<seconds> (optional) also fails a manifest
// whose length is more than 0.5 s off (e.g. 10 for testdata/source.flv).
// Prints one PASS/FAIL line (then one line per shaka error). Exit 0 on pass, 1 on fail.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const [mediaDir, manifest = 'manifest.mpd', label = manifest] = process.argv.slice(2);
const timeoutS = Number(process.env.TIMEOUT_S || 90);
const MAX_START_GAP = 0.25; // seconds, as play.mjs; source.flv gives 0.00-0.08
const TIMELINE_SLACK = 0.5; // seconds a SegmentTimeline's end may differ from the MPD's duration
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shakaDist = path.join(here, 'node_modules/shaka-player/dist');
let shakaPkg = '?'; // reported when the page never ran
try { shakaPkg = 'v' + JSON.parse(fs.readFileSync(path.join(here, 'node_modules/shaka-player/package.json'))).version; } catch { /* '?' */ }
const types = { '.mpd': 'application/dash+xml', '.m3u8': 'application/vnd.apple.mpegurl',
                '.ts': 'video/mp2t', '.m4s': 'video/iso.segment', '.mp4': 'video/mp4',
                '.m4v': 'video/mp4', '.m4a': 'audio/mp4', '.cmfv': 'video/mp4', '.cmfa': 'audio/mp4',
                '.aac': 'audio/aac', '.vtt': 'text/vtt', '.key': 'application/octet-stream',
                '.js': 'text/javascript', '.map': 'application/json', '.html': 'text/html' };

function serve(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = decodeURIComponent(url.pathname);
  let file;
  if (p === '/') file = path.join(here, 'shaka_player.html');
  else if (p === '/lib/shaka-player.compiled.js' || p === '/lib/shaka-player.compiled.map')
    file = path.join(shakaDist, p.slice(5));
  else if (p.startsWith('/media/')) file = path.join(mediaDir, path.normalize(p.slice(7)).replace(/^(\.\.[/\\])+/, ''));
  fs.readFile(file || '', (err, data) => {
    if (err) { res.writeHead(404); res.end(); return; }
    const type = types[path.extname(file)] || 'application/octet-stream';
    // Byte ranges (SegmentBase@indexRange, EXT-X-BYTERANGE): shaka asks with a Range header.
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      if (start >= data.length || end < start) {
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }); res.end(); return;
      }
      res.writeHead(206, { 'Content-Type': type, 'Accept-Ranges': 'bytes',
                           'Content-Range': `bytes ${start}-${end}/${data.length}` });
      res.end(data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { 'Content-Type': type, 'Accept-Ranges': 'bytes' });
    res.end(data);
  });
}

// ISO 8601 duration as used by MPD attributes (PnYnMnDTnHnMnS; Y/M rejected).
function isoDuration(s) {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m) return NaN;
  const [d, h, min, sec] = m.slice(1).map(x => Number(x || 0));
  return ((d * 24 + h) * 60 + min) * 60 + sec;
}

// The manifest's own length; playback must get this far. For an MPD also the
// end of each SegmentTimeline, which must agree with it (shaka places media by
// its tfdt and plays on over a track whose timeline stops early: that would
// otherwise pass unnoticed).
function expectedDuration() {
  const text = fs.readFileSync(path.join(mediaDir, manifest), 'utf8');
  if (/\.mpd$/i.test(manifest) || /<MPD[\s>]/.test(text)) {
    const timelines = [];
    // Only for a single Period: timelines count from their Period's start.
    const periods = (text.match(/<Period\b/g) || []).length;
    for (const [, attrs, body] of periods === 1 ? text.matchAll(/<SegmentTemplate\b([^>]*?)(?:\/>|>(.*?)<\/SegmentTemplate>)/gs) : []) {
      if (!body || !/<SegmentTimeline\b/.test(body)) continue;
      const attr = (a, name) => { const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(a); return m ? Number(m[1]) : undefined; };
      const timescale = attr(attrs, 'timescale') ?? 1, pto = attr(attrs, 'presentationTimeOffset') ?? 0;
      let t = 0, openEnded = false;
      for (const [, s] of body.matchAll(/<S\b([^>]*)\/?>/g)) {
        if (attr(s, 't') !== undefined) t = attr(s, 't');
        const r = attr(s, 'r') ?? 0;
        if (r < 0) openEnded = true; // repeats up to the Period's end: nothing to compare
        t += attr(s, 'd') * (r + 1);
      }
      if (!openEnded) timelines.push((t - pto) / timescale);
    }
    const m = /<MPD\b[^>]*\smediaPresentationDuration\s*=\s*"([^"]*)"/s.exec(text);
    if (m) return { seconds: isoDuration(m[1]), source: 'MPD@mediaPresentationDuration', timelines };
    const durs = [...text.matchAll(/<Period\b[^>]*\sduration\s*=\s*"([^"]*)"/g)].map(p => isoDuration(p[1]));
    if (durs.length && durs.length === periods)
      return { seconds: durs.reduce((a, b) => a + b, 0), source: 'sum of Period@duration', timelines };
    return { seconds: NaN, source: 'no MPD@mediaPresentationDuration nor Period@duration', timelines };
  }
  let playlist = manifest, body = text;
  if (/#EXT-X-STREAM-INF/.test(text)) {
    // Master playlist: the first variant's media playlist stands for all.
    const lines = text.split(/\r?\n/);
    const i = lines.findIndex(l => l.startsWith('#EXT-X-STREAM-INF'));
    const uri = lines.slice(i + 1).find(l => l.trim() && !l.startsWith('#'));
    playlist = path.join(path.dirname(manifest), uri.trim());
    body = fs.readFileSync(path.join(mediaDir, playlist), 'utf8');
  }
  const seconds = [...body.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  return { seconds, source: `#EXTINF total of ${playlist}`, timelines: [] };
}

let version = '?';
try {
  version = execFileSync(chromiumPath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString().match(/[\d.]+/)[0];
} catch { /* reported as '?' */ }

const started = Date.now();
let expected = { seconds: NaN, source: '?', timelines: [] }, browser, r = null, failure = null, server, userDataDir;
try {
  // Manifest checks come first: no point playing a manifest that is wrong about its length.
  const reject = msg => { throw Object.assign(new Error(msg), { manifestCheck: true }); };
  expected = expectedDuration();
  if (!isFinite(expected.seconds)) reject(`cannot tell the manifest's length (${expected.source})`);
  const bad = expected.timelines.find(t => !(Math.abs(t - expected.seconds) <= TIMELINE_SLACK));
  if (bad !== undefined)
    reject(`a SegmentTimeline ends at ${bad.toFixed(3)}s, ${expected.source} is ${expected.seconds.toFixed(3)}s`);
  if (process.env.EXPECT_DURATION && !(Math.abs(expected.seconds - Number(process.env.EXPECT_DURATION)) <= 0.5))
    reject(`${expected.source} is ${expected.seconds.toFixed(3)}s, EXPECT_DURATION=${process.env.EXPECT_DURATION}s`);
  server = http.createServer(serve);
  await new Promise(res => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muxkit-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--autoplay-policy=no-user-gesture-required'],
  });
  const page = browser.pages()[0] || await browser.newPage();
  page.on('pageerror', e => { failure = failure || `page error: ${e.message}`; });
  await page.goto(`http://127.0.0.1:${port}/?manifest=${encodeURIComponent(manifest)}&rate=4`);
  const deadline = started + timeoutS * 1000;
  while (Date.now() < deadline) {
    r = await page.evaluate(() => window.result);
    if (r && (r.ended || r.errors.some(e => e.fatal) || r.playError)) break;
    await new Promise(res => setTimeout(res, 250));
  }
  r = await page.evaluate(() => window.result);
  const want = expected.seconds;
  if (!failure && !r) failure = 'page never set window.result';
  else if (!failure && r.playError) failure = `play() rejected: ${r.playError}`;
  else if (!failure && r.errors.some(e => e.fatal)) failure = 'fatal shaka error';
  else if (!failure && !r.ended) failure = `no 'ended' within ${timeoutS}s`;
  else if (!failure && !(r.startGap < MAX_START_GAP))
    failure = `buffer starts at ${r.startGap}s, more than ${MAX_START_GAP}s after 0`;
  else if (!failure && !(r.maxTime >= want - 0.5))
    failure = `stopped at ${r.maxTime.toFixed(2)}s, manifest lasts ${want.toFixed(2)}s`;
  // Media appended twice (a byte range served whole) plays longer than the manifest.
  else if (!failure && !(r.maxTime <= want + 1))
    failure = `played ${r.maxTime.toFixed(2)}s, manifest lasts ${want.toFixed(2)}s: media appended more than once?`;
} catch (e) {
  failure = failure || (e.manifestCheck ? e.message : `runner error: ${e.message.split('\n')[0]}`);
} finally {
  if (browser) await browser.close();
  if (server) server.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  const errors = r ? r.errors : [];
  if (!failure && errors.length) failure = `${errors.length} shaka error(s)`;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const fmt = x => (typeof x === 'number' && isFinite(x) ? x.toFixed(2) : '?');
  const st = (r && r.stats) || {};
  const v = r && r.variant;
  console.log(`${failure ? 'FAIL' : 'PASS'} [${label}] shaka-player ${r ? r.shakaVersion : shakaPkg}, Chromium ${version}, ` +
              `played ${fmt(r && r.maxTime)}s of duration ${fmt(r && r.duration)}s (${expected.source} ${fmt(expected.seconds)}s${expected.timelines.length ? `, SegmentTimelines end ${expected.timelines.map(fmt).join('/')}s` : ''}), ` +
              `ended=${!!(r && r.ended)}, start gap ${fmt(r && r.startGap)}s, ` +
              `gaps jumped ${st.gapsJumped ?? '?'}, stalls ${st.stallsDetected ?? '?'}, ` +
              `variant ${v ? `${v.mimeType} "${v.codecs}" ${v.bandwidth}bps${v.width ? ` ${v.width}x${v.height}` : ''}` : '?'}, ` +
              `shaka errors=${errors.length}, took ${secs}s${failure ? ` -- ${failure}` : ''}`);
  for (const e of errors)
    console.log(`  error: ${e.severity} ${e.category} ${e.code} ${e.name} ${e.message} ${e.data}`.trimEnd());
  process.exit(failure ? 1 : 0);
}
