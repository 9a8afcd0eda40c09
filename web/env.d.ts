// esbuild loads stylesheets as text (scripts/build.mjs): the element puts them in its shadow root.
declare module "*.css" {
  const text: string;
  export default text;
}
