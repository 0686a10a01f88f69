// A virtualised, keyboard-navigable table (ARIA grid semantics): only the rows in view are in the DOM, so 5,000 rows cost what 30 do.
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  id: string;
  title: string;
  /** CSS grid track, e.g. "minmax(200px, 2fr)" or "90px". */
  width: string;
  cell(item: T): ReactNode;
  /** Sortable when set: the sort key passed to onSort. */
  sort?: string;
  align?: 'left' | 'right';
}

export interface VirtualTableProps<T> {
  label: string;
  items: readonly T[];
  getKey(item: T): string;
  columns: readonly Column<T>[];
  selected: string | null;
  onSelect(key: string): void;
  sort?: { key: string; desc: boolean };
  onSort?(key: string): void;
  rowHeight?: number;
  empty?: ReactNode;
}

interface RowProps<T> {
  item: T;
  rowKey: string;
  index: number;
  start: number;
  height: number;
  template: string;
  selected: boolean;
  columns: readonly Column<unknown>[];
  onSelect(key: string): void;
}

/** One row; re-renders only when its item, place or selection changes (a delta touches one row, not 30). */
const Row = memo(function Row<T>({ item, rowKey, index, start, height, template, selected, columns, onSelect }: RowProps<T>) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-key={rowKey}
      className={`vtable-row${selected ? ' selected' : ''}`}
      style={{ gridTemplateColumns: template, height, transform: `translateY(${start}px)` }}
      onClick={() => onSelect(rowKey)}
    >
      {columns.map((c) => (
        <div key={c.id} role="gridcell" className={`vtable-td${c.align === 'right' ? ' vtable-right' : ''}`}>
          {c.cell(item)}
        </div>
      ))}
    </div>
  );
});

export function VirtualTable<T>({ label, items, getKey, columns, selected, onSelect, sort, onSort, rowHeight = 34, empty }: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  });
  const template = columns.map((c) => c.width).join(' ');
  const selectedIndex = selected === null ? -1 : items.findIndex((i) => getKey(i) === selected);

  // Keep the selected row in view when it moves (keyboard, or the list changed under it).
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  const onKeyDown = useCallback((e: KeyboardEvent) => {
    if (items.length === 0) return;
    const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : e.key === 'PageDown' ? 10 : e.key === 'PageUp' ? -10 : e.key === 'Home' ? -Infinity : e.key === 'End' ? Infinity : 0;
    if (step === 0) return;
    e.preventDefault();
    const from = selectedIndex < 0 ? (step > 0 ? -1 : items.length) : selectedIndex;
    const next = Math.max(0, Math.min(items.length - 1, Number.isFinite(step) ? from + step : step > 0 ? items.length - 1 : 0));
    onSelect(getKey(items[next]!));
  }, [items, selectedIndex, onSelect, getKey]);

  return (
    <div className="vtable" role="grid" aria-label={label} aria-rowcount={items.length + 1} aria-colcount={columns.length}>
      <div className="vtable-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
        {columns.map((c) => {
          const active = sort && c.sort === sort.key;
          return (
            <div key={c.id} role="columnheader" className={`vtable-th${c.align === 'right' ? ' vtable-right' : ''}`} aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : undefined}>
              {c.sort && onSort ? (
                <button type="button" className={`vtable-sort${active ? ' active' : ''}`} onClick={() => onSort(c.sort!)}>
                  {c.title}
                  <span className="vtable-arrow" aria-hidden="true">{active ? (sort.desc ? '▼' : '▲') : ''}</span>
                </button>
              ) : (
                c.title
              )}
            </div>
          );
        })}
      </div>
      <div ref={scrollRef} className="vtable-body" tabIndex={0} onKeyDown={onKeyDown} role="rowgroup" aria-label={`${label} rows`}>
        {items.length === 0 ? (
          <div className="vtable-empty">{empty}</div>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((v) => {
              const item = items[v.index]!;
              const key = getKey(item);
              return (
                <Row
                  key={key}
                  item={item}
                  rowKey={key}
                  index={v.index}
                  start={v.start}
                  height={rowHeight}
                  template={template}
                  selected={key === selected}
                  columns={columns as readonly Column<unknown>[]}
                  onSelect={onSelect}
                />
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
