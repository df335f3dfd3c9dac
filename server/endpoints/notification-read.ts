import { inbox } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/notification/read/',
  summary: 'Mark your notifications up to up_to_id (a notification id) read; answers how many stay unread',
  auth: 'required',
  params: { up_to_id: id },
  refusal: { unread_count: 0 },
  async handler({ params, viewerId }) {
    return { unread_count: await inbox.markRead(viewerId, params.up_to_id) };
  },
});
