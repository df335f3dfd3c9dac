import { messages } from '../../models/index.js';
import { MESSAGE_MAX_LENGTH } from '../../models/text.js';
import { defineEndpoint } from '../http/endpoint.js';
import { clientMsgId, content, id, integer } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/message/action/',
  summary: 'Send a chat message (action_type 1); client_msg_id makes retries safe',
  auth: 'required',
  params: {
    to_user_id: id,
    action_type: integer('1 (send a message)', 1, 1),
    content: content(MESSAGE_MAX_LENGTH),
    client_msg_id: clientMsgId.optional(),
  },
  refusal: {},
  async handler({ params, viewerId, mediaBase, services }) {
    await services.limits.messagesPerUser.consume(viewerId);
    await messages.sendMessage(viewerId, params.to_user_id, params.content, {
      requireFriendship: services.requireFriendship,
      clientMsgId: params.client_msg_id,
      origin: { mediaBase },
    });
    return {};
  },
});
