import { useState } from 'react';
import { type ApiError, download } from './api/client';
import { saveFile } from './save-file';

export interface CsvExport {
  exporting: boolean;
  error: ApiError | null;
  run(): Promise<void>;
}

/** Downloads `url()` (read when the export starts, so it has the filters of that moment) and saves it as `name`. */
export function useCsvExport(url: () => string, name: string): CsvExport {
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setExporting(true);
    setError(null);
    try {
      saveFile(await download(url()), name);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setExporting(false);
    }
  };
  return { exporting, error, run };
}

export function ExportButton({ csv }: { csv: CsvExport }) {
  return (
    <button type="button" className="secondary" onClick={() => void csv.run()} disabled={csv.exporting}>
      {csv.exporting ? 'Exporting…' : 'Export CSV'}
    </button>
  );
}
