// A small inline icon set (stroke icons on a 24px grid), so the app loads no icon fonts.
import type { SVGProps } from 'react';

const paths = {
  logo: 'M12 2.5l8.5 4.9v9.2L12 21.5l-8.5-4.9V7.4L12 2.5zm0 4.2a5.3 5.3 0 100 10.6 5.3 5.3 0 000-10.6z',
  plug: 'M9 3v5M15 3v5M6 8h12v3a6 6 0 01-12 0V8zM12 17v4',
  refresh: 'M20 11a8 8 0 00-14.3-4.9L4 8M4 4v4h4M4 13a8 8 0 0014.3 4.9L20 16M20 20v-4h-4',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  cross: 'M6 6l12 12M18 6L6 18',
  alert: 'M12 3.5l9.5 16.5h-19L12 3.5zM12 10v4.5M12 17.2v.3',
  server: 'M4 5h16v6H4zM4 13h16v6H4zM8 8h.01M8 16h.01',
  command: 'M9 6a3 3 0 10-3 3h3V6zm0 0v12m0-12h6m-6 12a3 3 0 11-3-3h3v3zm0 0h6m0-12a3 3 0 113 3h-3V6zm0 0v12m0 0a3 3 0 103-3h-3v3z',
  search: 'M11 4a7 7 0 100 14 7 7 0 000-14zM20 20l-4-4',
  unplug: 'M4 4l16 16M9 3v4M15 3v5M18 8v3a6 6 0 01-1.2 3.6M8.4 8H6v3a6 6 0 008.6 5.4M12 17v4',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4',
  key: 'M14.5 4a5.5 5.5 0 11-4.9 8L4 17.6V20h2.4l1-1v-1.5h1.5l1.6-1.6A5.5 5.5 0 0114.5 4zM16 8h.01',
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, size = 16, ...rest }: { name: IconName; size?: number } & SVGProps<SVGSVGElement>) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...rest}
    >
      <path d={paths[name]} fill={name === 'logo' ? 'currentColor' : 'none'} fillRule="evenodd" stroke={name === 'logo' ? 'none' : 'currentColor'} />
    </svg>
  );
}
