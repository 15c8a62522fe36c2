/**
 * Builds DOM nodes from data without ever parsing HTML: every string becomes a text node or a property, so a
 * pump id such as `<img src=x onerror=…>` from the bus is shown as the characters it is.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  readonly className?: string;
  /** set as textContent */
  readonly text?: string;
  /** attributes, set one by one (never `style`: the CSP forbids style attributes; use element.style) */
  readonly attrs?: Readonly<Record<string, string>>;
  readonly dataset?: Readonly<Record<string, string>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const [name, value] of Object.entries(props.dataset ?? {})) node.dataset[name] = value;
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    node.addEventListener(type, listener as EventListener);
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces a node's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A table from a header row and rows of cells (strings become text, nodes are kept). */
export function table(
  header: readonly string[],
  rows: readonly (readonly Child[])[],
  props: Props = {},
): HTMLTableElement {
  return el(
    'table',
    props,
    el('thead', {}, el('tr', {}, ...header.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))),
  );
}

/** A link to a view of the page (hash route). */
export function link(hash: string, text: string, className?: string): HTMLAnchorElement {
  return el('a', { text, attrs: { href: hash }, ...(className ? { className } : {}) });
}
