/** Queue message contract (filled in by the ingestion work). */
export type FeedMessage = { readonly v: 1; readonly kind: string };
