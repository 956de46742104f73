/** The target picker's state, apart from its component so that pure code (and its tests, checked without JSX) can name it. */
export type TargetMode = 'ids' | 'tags' | 'all';

export interface TagTarget {
  key: string;
  values: string;
}
