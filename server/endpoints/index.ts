import type { Endpoint } from '../http/endpoint.js';
import feed from './feed.js';
import publishAction from './publish-action.js';
import publishList from './publish-list.js';
import userInfo from './user-info.js';
import userLogin from './user-login.js';
import userRegister from './user-register.js';

/** Every REST endpoint, in the order of douyin-api.md. */
export const endpoints: Endpoint[] = [userRegister, userLogin, userInfo, publishAction, feed, publishList];
