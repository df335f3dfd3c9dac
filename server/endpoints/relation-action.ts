import { relations } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { actionType, id } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/relation/action/',
  summary: 'Follow (action_type 1) or unfollow (2) a user; repeating either changes nothing',
  auth: 'required',
  params: { to_user_id: id, action_type: actionType },
  refusal: {},
  async handler({ params, viewerId, mediaBase, services }) {
    await services.limits.followsPerUser.consume(viewerId);
    await relations.follow(viewerId, params.to_user_id, params.action_type, { mediaBase });
    return {};
  },
});
