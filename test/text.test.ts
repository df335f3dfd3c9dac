import test from 'ava';
import { isAcceptableText } from '../models/text.js';

const accepted = ['hi', ' 你好 ', 'line\nbreak', '👍', 'é', 'a\u200db', '\u3164x'];
const refused = ['', '   ', '\u200b', '\u200b\u3164\u200d', '\u2800\u115f\u1160\uffa0', '\u202e\u2066', 'bell\u0007', 'half \ud83d', '\udc4d alone', 'x'.repeat(11)];

for (const text of accepted) test(`${JSON.stringify(text)} is acceptable`, (t) => t.true(isAcceptableText(text, 10)));
for (const text of refused) test(`${JSON.stringify(text)} is refused`, (t) => t.false(isAcceptableText(text, 10)));
