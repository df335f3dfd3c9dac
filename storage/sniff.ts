import { fileTypeFromFile } from 'file-type';

/** The video containers accepted for publishing, by the extension file-type reports. */
const VIDEO_TYPES = new Map([
  ['mp4', 'video/mp4'],
  ['mov', 'video/quicktime'],
  ['m4v', 'video/x-m4v'],
  ['webm', 'video/webm'],
  ['mkv', 'video/x-matroska'],
  ['3gp', 'video/3gpp'],
]);

/** What video container a file holds, judged by its bytes alone; undefined when it is not one we take. */
export async function sniffVideo(file: string): Promise<{ extension: string; mime: string } | undefined> {
  const type = await fileTypeFromFile(file);
  const mime = type && VIDEO_TYPES.get(type.ext);
  return mime ? { extension: type.ext, mime } : undefined;
}
