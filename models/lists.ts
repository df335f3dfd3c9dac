import { Comment, type CommentDoc } from './comment.js';
import { Favorite } from './favorite.js';
import { Follow } from './follow.js';
import { ownerLists } from './owner-lists.js';
import { shelveAt } from './shelves.js';

// Budgets bound the memory of each kind of list: roughly 60 bytes an entry, a comment by its length
// (1 + 1 per 64 characters): 1.25 million units in all, about 100 MB at worst.

const commentWeight = (comment: { content: string }) => 1 + Math.ceil(comment.content.length / 64);

/** A user's likes, newest first. */
export const likesOf = ownerLists<{ _id: number; videoId: number }>({
  list: 'likes',
  model: Favorite,
  owner: 'userId',
  shelf: 'shelf',
  to: 'videoId',
  projection: { videoId: 1 },
  budget: 500_000,
});

/** Whom a user follows, most recent first. */
export const followeesOf = ownerLists<{ _id: number; followeeId: number }>({
  list: 'follows',
  model: Follow,
  owner: 'followerId',
  shelf: 'followShelf',
  to: 'followeeId',
  projection: { followeeId: 1 },
  budget: 250_000,
});

/** Who follows a user, most recent first. */
export const followersOf = ownerLists<{ _id: number; followerId: number }>({
  list: 'followers',
  model: Follow,
  owner: 'followeeId',
  shelf: 'followerShelf',
  to: 'followerId',
  projection: { followerId: 1 },
  budget: 250_000,
});

/** A video's comments, newest first; a comment weighs by its length. */
export const commentsOf = ownerLists<CommentDoc & { _id: number }>({
  list: 'comments',
  model: Comment,
  owner: 'videoId',
  shelf: 'shelf',
  to: 'userId',
  budget: 250_000,
  size: commentWeight,
});

/**
 * What an author's inbox is made of (inbox.ts): the likes and the comments their videos received,
 * newest first, their own among them. The inbox wants only the newest few hundred of each, so a
 * longer list is read by shelves from the start.
 */
export const likesReceivedBy = ownerLists<{ _id: number; userId: number; videoId: number }>({
  list: 'liked',
  model: Favorite,
  owner: 'authorId',
  shelf: 'authorShelf',
  to: 'userId',
  projection: { userId: 1, videoId: 1 },
  budget: 250_000,
  maxWhole: shelveAt,
});

export const commentsReceivedBy = ownerLists<CommentDoc & { _id: number }>({
  list: 'commented',
  model: Comment,
  owner: 'authorId',
  shelf: 'authorShelf',
  to: 'userId',
  projection: { userId: 1, videoId: 1, content: 1, createdAt: 1 },
  budget: 250_000,
  size: commentWeight,
  maxWhole: shelveAt,
});
