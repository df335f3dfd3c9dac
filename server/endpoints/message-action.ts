import { messages } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { content, id } from '../http/schemas.js';
import { z } from 'zod';

export const MESSAGE_MAX_LENGTH = 1000;

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/message/action/',
  summary: 'Send a chat message (action_type 1); client_msg_id makes retries safe',
  auth: 'required',
  params: {
    to_user_id: id,
    action_type: z.literal('1', { error: 'must be 1 (send a message)' }),
    content: content(MESSAGE_MAX_LENGTH),
    client_msg_id: z.string().regex(/^[\w-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -').optional(),
  },
  refusal: {},
  async handler({ params, viewerId, services }) {
    await messages.sendMessage(viewerId, params.to_user_id, params.content, {
      requireFriendship: services.requireFriendship,
      clientMsgId: params.client_msg_id,
    });
    return {};
  },
});
