import { comments, EMPTY_USER, Refusal } from '../../models/index.js';
import { COMMENT_MAX_LENGTH } from '../../models/text.js';
import { defineEndpoint } from '../http/endpoint.js';
import { actionType, clientMsgId, content, id } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/comment/action/',
  summary: 'Comment on a video (action_type 1, comment_text; client_comment_id makes retries safe) or delete a comment (2, comment_id)',
  auth: 'required',
  params: { video_id: id, action_type: actionType, comment_text: content(COMMENT_MAX_LENGTH).optional(), comment_id: id.optional(), client_comment_id: clientMsgId.optional() },
  refusal: { comment: { id: 0, user: EMPTY_USER, content: '', create_date: '' } },
  async handler({ params, viewerId, mediaBase, services }) {
    const format = { mediaBase, formatDate: services.formatDate };
    if (params.action_type === 1) {
      if (params.comment_text === undefined) throw new Refusal('INVALID_PARAMETER', 'comment_text is required to comment');
      await services.limits.commentsPerUser.consume(viewerId);
      return { comment: await comments.addComment(viewerId, params.video_id, params.comment_text, format, params.client_comment_id) };
    }
    if (params.comment_id === undefined) throw new Refusal('INVALID_PARAMETER', 'comment_id is required to delete a comment');
    return { comment: await comments.deleteComment(viewerId, params.video_id, params.comment_id, format) };
  },
});
