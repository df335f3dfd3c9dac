/** Where clients fetch stored media when it is not this server's /media/ route (a bucket, a CDN). */
export interface MediaLinker {
  url(key: string): Promise<string>;
  /** Changes when links handed out earlier may stop working. */
  generation(): number;
}

let linker: MediaLinker | undefined;

/** Set once at start by a storage that serves its media itself; unset, media URLs point at /media/. */
export function linkMediaThrough(storageLinks: MediaLinker | undefined): void {
  linker = storageLinks;
}

/** The URL a client fetches a media key from; `mediaBase` is this server's base URL for the client. */
export function mediaKeyUrl(mediaBase: string, key: string): Promise<string> | string {
  return linker ? linker.url(key) : mediaRouteUrl(mediaBase, key);
}

/** This server's /media/ route for a key, wherever the media lives (it redirects, or has a placeholder). */
export function mediaRouteUrl(mediaBase: string, key: string): string {
  return `${mediaBase}/media/${key}`;
}

/** Views holding media URLs built in another generation are rebuilt. */
export function mediaLinksGeneration(): number {
  return linker?.generation() ?? 0;
}
