// English stop-words left out of the text-drift token histogram and the "typical of current" tokens: the most
// frequent tokens of any English text ("the", "to", "is"), which say nothing about what changed. The classifier, the
// token distance and the out-of-vocabulary rate still see every token. The list is NLTK's English list (BSD-licensed
// data, 179 words) written in the tokenizer's form (lower case, apostrophes inside words kept), plus the contractions'
// fragments a tokenizer that splits on apostrophes would leave. Built in rather than a dependency: @mlops/drift has
// no runtime dependency but zod, and this list changes rarely.

/** English stop-words, lower case, as `tokenize` emits them. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  `i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom this
that that'll these those am is are was were be been being have has had having do does did doing a an the and but if
or because as until while of at by for with about against between into through during before after above below to
from up down in out on off over under again further then once here there when where why how all any both each few
more most other some such no nor not only own same so than too very s t can will just don don't should should've
now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't
isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won
won't wouldn wouldn't i'm i've i'll i'd we're we've we'll we'd he's he'll he'd she'll she'd they're they've they'll
they'd can't cannot could would also`
    .split(/\s+/)
    .filter(Boolean),
);

/** Whether a token is shown in text-drift histograms: not an English stop-word, and not a lone digit or letter. */
export function isContentToken(token: string): boolean {
  return token.length > 1 && !ENGLISH_STOP_WORDS.has(token.replace(/’/g, "'"));
}
