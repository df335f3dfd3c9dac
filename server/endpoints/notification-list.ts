import { inbox } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { pageOf, paging } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/notification/list/',
  summary: 'Your notifications of likes, comments and follows, newest first, with the unread count; paged by cursor',
  auth: 'required',
  params: paging,
  refusal: { notification_list: [], next_cursor: 0, unread_count: 0 },
  async handler({ params, viewerId, mediaBase, services }) {
    const page = await inbox.notificationList(viewerId, pageOf(params), { mediaBase, formatDate: services.formatDate });
    return { notification_list: page.notifications, next_cursor: page.nextCursor, unread_count: page.unreadCount };
  },
});
