import { reads } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, integer } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/message/read/',
  summary: "Mark the messages from to_user_id up to up_to_id (a message id) read; answers the unread messages over all your conversations",
  auth: 'required',
  params: { to_user_id: id, up_to_id: integer('a message id', 0, Number.MAX_SAFE_INTEGER) },
  refusal: { unread_count: 0 },
  async handler({ params, viewerId, services }) {
    return { unread_count: await reads.markRead(viewerId, params.to_user_id, params.up_to_id, { requireFriendship: services.requireFriendship }) };
  },
});
