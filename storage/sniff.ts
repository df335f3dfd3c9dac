import { fileTypeFromFile } from 'file-type';

/** The video containers accepted for publishing, by the extension file-type reports. */
const VIDEO_EXTENSIONS = new Set(['mp4', 'mov', 'm4v', 'webm', 'mkv', '3gp']);

/** What video container a file holds, judged by its bytes alone; undefined when it is not one we take. */
export async function sniffVideo(file: string): Promise<{ extension: string } | undefined> {
  const type = await fileTypeFromFile(file);
  return type && VIDEO_EXTENSIONS.has(type.ext) ? { extension: type.ext } : undefined;
}
