import { messages } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { DEFAULT_PAGE_SIZE, id, limit, timestamp } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/message/chat/',
  summary: 'Chat history with a user, oldest first; with pre_msg_time only newer messages (polling)',
  auth: 'required',
  params: { to_user_id: id, pre_msg_time: timestamp.optional(), limit: limit(100).optional() },
  refusal: { message_list: [] },
  async handler({ params, viewerId }) {
    const history = await messages.chatHistory(viewerId, params.to_user_id, {
      after: params.pre_msg_time?.after,
      limit: params.limit ?? DEFAULT_PAGE_SIZE,
    });
    return { message_list: history.map(messages.messageView) };
  },
});
