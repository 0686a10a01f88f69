// The service graph: one cytoscape instance per opened service, updated in place as the model changes; hover shows a backend's identity.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { CyGraph, type HoverInfo } from '../../graph/CyGraph.js';
import type { GraphElement } from '../../graph/elements.js';
import { serviceGraphStyle } from '../../graph/serviceStyle.js';

export interface ServiceGraphProps {
  /** Identifies the service: a new one creates a new instance (and fits it). */
  serviceKey: string;
  elements: readonly GraphElement[];
  /** Accessible one-line description of what the canvas shows. */
  description: string;
}

export function ServiceGraph({ serviceKey, elements, description }: ServiceGraphProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const graphRef = useRef<CyGraph | null>(null);
  const [hover, setHover] = useState<HoverInfo | null>(null);

  // One instance per service; elements arrive through update(), never by rebuilding.
  useLayoutEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const graph = new CyGraph(container, { style: serviceGraphStyle(), onHover: setHover });
    graphRef.current = graph;
    const observer = new ResizeObserver(() => {
      graph.resize();
      graph.fit();
    });
    observer.observe(container);
    return () => {
      observer.disconnect();
      graph.destroy();
      graphRef.current = null;
      setHover(null);
    };
  }, [serviceKey]);

  const firstUpdate = useRef<string | null>(null);
  useLayoutEffect(() => {
    const graph = graphRef.current;
    if (!graph) return;
    const changedSet = graph.update(elements);
    const first = firstUpdate.current !== serviceKey;
    if (first || changedSet) graph.fit();
    if (first) {
      firstUpdate.current = serviceKey;
      // The benchmark measures selection → this mark (the canvas is drawn on the next frame).
      requestAnimationFrame(() => performance.mark('lumen:service-graph-drawn', { detail: serviceKey }));
    }
    containerRef.current?.setAttribute('data-elements', String(graph.count()));
  }, [elements, serviceKey]);

  useEffect(() => () => setHover(null), []);

  return (
    <div className="svc-graph-wrap">
      <div ref={containerRef} className="svc-graph" role="img" aria-label={description} data-service={serviceKey} />
      {hover && typeof hover.data.tooltip === 'string' && (
        <div className="svc-tooltip" role="tooltip" style={{ left: hover.x, top: hover.y }}>
          {hover.data.tooltip}
        </div>
      )}
    </div>
  );
}
