// A cytoscape instance updated in place from element lists: adds, removes (fading where asked), moves and restyles only what changed.
import cytoscape from 'cytoscape';
import { diffElements, type GraphElement, type GraphNode } from './elements.js';

export interface HoverInfo {
  id: string;
  data: Record<string, unknown>;
  /** Position in the container, in CSS pixels. */
  x: number;
  y: number;
}

export interface CyGraphOptions {
  style: cytoscape.StylesheetJson;
  onHover?(info: HoverInfo | null): void;
  onTap?(id: string | null): void;
  /** Fade-out duration of removed elements marked fadeOut. */
  fadeMs?: number;
}

function definition(el: GraphElement): cytoscape.ElementDefinition {
  if (el.group === 'nodes') return { group: 'nodes', data: { ...el.data, id: el.id }, classes: el.classes, position: { ...el.position } };
  return { group: 'edges', data: { ...el.data, id: el.id, source: el.source, target: el.target }, classes: el.classes };
}

/**
 * Cytoscape injects a <style> element (id below) unless one with that id exists; the
 * console's CSP (style-src 'self') blocks inline styles and reports the attempt. A
 * placeholder with the id stops the injection; services.css carries its one rule.
 */
function preventStyleInjection(): void {
  const id = '__________cytoscape_stylesheet';
  if (document.getElementById(id)) return;
  const placeholder = document.createElement('template');
  placeholder.id = id;
  document.head.appendChild(placeholder);
}

export class CyGraph {
  private readonly cy: cytoscape.Core;
  private current = new Map<string, GraphElement>();
  /** Elements fading out: still drawn, no longer part of the model. */
  private readonly leaving = new Set<string>();
  private readonly fadeMs: number;
  private destroyed = false;

  constructor(container: HTMLElement, private readonly options: CyGraphOptions) {
    this.fadeMs = options.fadeMs ?? 900;
    preventStyleInjection();
    this.cy = cytoscape({
      container,
      style: options.style,
      layout: { name: 'preset' },
      // Positions come from the model; the user may pan and zoom, not drag the columns apart.
      autoungrabify: true,
      boxSelectionEnabled: false,
      minZoom: 0.2,
      maxZoom: 2.5,
      wheelSensitivity: 0.3,
    });
    this.cy.on('mouseover', 'node', (e) => {
      const node = e.target as cytoscape.NodeSingular;
      const p = node.renderedPosition();
      options.onHover?.({ id: node.id(), data: node.data() as Record<string, unknown>, x: p.x, y: p.y - node.renderedOuterHeight() / 2 });
    });
    this.cy.on('mouseout', 'node', () => options.onHover?.(null));
    this.cy.on('viewport', () => options.onHover?.(null));
    this.cy.on('tap', (e) => options.onTap?.(e.target === this.cy ? null : (e.target as cytoscape.SingularElementArgument).id()));
  }

  /** Makes the graph show `elements`; returns whether the set of elements changed (the caller may re-fit). */
  update(elements: readonly GraphElement[]): boolean {
    if (this.destroyed) return false;
    const diff = diffElements(this.current, elements);
    this.cy.batch(() => {
      for (const el of diff.add) {
        if (this.leaving.has(el.id)) {
          // Came back while fading out (a pod flapping): stop the fade and treat as an update.
          this.leaving.delete(el.id);
          const existing = this.cy.getElementById(el.id);
          existing.stop(true, false);
          existing.style('opacity', 1);
          existing.removeStyle('opacity');
          this.apply(existing, el);
          continue;
        }
        this.cy.add(definition(el));
      }
      for (const { after } of diff.update) this.apply(this.cy.getElementById(after.id), after);
      for (const el of diff.remove) {
        const ele = this.cy.getElementById(el.id);
        if (ele.empty()) continue;
        if (el.group === 'nodes' && (el as GraphNode).fadeOut) this.fade(ele, el.id);
        else if (!this.leaving.has(el.id)) ele.remove();
      }
    });
    this.current = new Map(elements.map((e) => [e.id, e]));
    return diff.add.length > 0 || diff.remove.length > 0;
  }

  fit(padding = 30): void {
    if (this.destroyed || this.cy.elements().empty()) return;
    this.cy.fit(undefined, padding);
    if (this.cy.zoom() > 1.2) {
      this.cy.zoom(1.2);
      this.cy.center();
    }
  }

  resize(): void {
    if (!this.destroyed) this.cy.resize();
  }

  /** Number of elements drawn (including fading ones), for tests and the a11y summary. */
  count(selector = '*'): number {
    return this.destroyed ? 0 : this.cy.elements(selector).length;
  }

  destroy(): void {
    this.destroyed = true;
    this.cy.destroy();
  }

  private apply(ele: cytoscape.CollectionReturnValue, el: GraphElement): void {
    ele.data({ ...el.data });
    ele.classes(el.classes);
    if (el.group === 'nodes') {
      const p = ele.position();
      if (p.x !== el.position.x || p.y !== el.position.y) ele.animate({ position: { ...el.position } }, { duration: 250 });
    }
  }

  private fade(ele: cytoscape.CollectionReturnValue, id: string): void {
    this.leaving.add(id);
    ele.addClass('leaving');
    // Its edges go with it; they fade too so the node does not hang in the air.
    ele.connectedEdges().animate({ style: { opacity: 0 } }, { duration: this.fadeMs });
    ele.animate({ style: { opacity: 0 } }, {
      duration: this.fadeMs,
      complete: () => {
        if (!this.leaving.has(id) || this.destroyed) return;
        this.leaving.delete(id);
        ele.remove();
      },
    });
  }
}
