// HLS playback: the browser's own where it has one (Safari, phones), else hls.js, loaded on first use.
let library;

function hlsJs() {
  library ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/console/hls.min.js';
    script.onload = () => resolve(window.Hls);
    script.onerror = () => reject(new Error('hls.js did not load'));
    document.head.append(script);
  });
  return library;
}

/** Plays the HLS master playlist `url` in `video`; says how ('native' or 'hls.js'), or throws why it cannot. */
export async function playHls(video, url) {
  if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = url;
    return 'native';
  }
  const Hls = await hlsJs();
  if (!Hls.isSupported()) throw new Error('this browser plays neither HLS nor Media Source Extensions');
  // No worker: the page's Content-Security-Policy allows scripts from this origin only.
  const hls = new Hls({ enableWorker: false });
  hls.loadSource(url);
  hls.attachMedia(video);
  return 'hls.js';
}
