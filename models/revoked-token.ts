import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/**
 * A token logged out before its expiry, kept until then. `_id` is the token's id (its `jti`; for a
 * token issued before tokens had one, a digest of the token itself, sessions.ts).
 */
const revokedTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: { type: Number, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'revoked_tokens' },
);

export type RevokedTokenDoc = InferSchemaType<typeof revokedTokenSchema>;
export const RevokedToken = mongoose.model('RevokedToken', revokedTokenSchema);
