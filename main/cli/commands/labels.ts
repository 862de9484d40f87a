/**
 * `tapedeck labels`: LTO barcode label sheets as PDF or SVG, from a numbered range, a list of
 * label texts or the inventory; `tapedeck labels calibration` prints the 100 mm test square.
 */
import { extname } from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { LabelSheetRequest } from '../../core/api/contract'
import {
  LABEL_MODES,
  LABEL_PAPERS,
  type LabelPaper,
  type LabelSource
} from '../../core/labels/schema'
import { writeFileAtomic } from '../../core/util/atomic-write'
import type { CliContext, Run } from '../context'
import { collect, defined, integer } from '../options'

function millimetres(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new InvalidArgumentError(`'${value}' is not a length in mm`)
  return Number(value)
}

function calibration(value: string): LabelSheetRequest['calibration'] {
  const parts = value.split(',').map((v) => v.trim())
  if (parts.length !== 4 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
    throw new InvalidArgumentError(
      `'${value}' is not SX,SY,DX,DY (four lengths in mm, as measured on the calibration page)`
    )
  }
  const [sxMm, syMm, dxMm, dyMm] = parts.map(Number)
  return { sxMm, syMm, dxMm, dyMm }
}

type OutputKind = 'pdf' | 'svg'

function outputKind(file: string): OutputKind {
  const ext = extname(file).toLowerCase()
  if (ext === '.pdf' || ext === '.svg') return ext.slice(1) as OutputKind
  throw new InvalidArgumentError(`--out must name a .pdf or .svg file, not '${file}'`)
}

/** SVG is one page per file: FILE.svg for one page, FILE-1.svg, FILE-2.svg, … for more. */
function svgFileNames(file: string, pages: number): string[] {
  if (pages === 1) return [file]
  const stem = file.slice(0, -extname(file).length)
  return Array.from({ length: pages }, (_, i) => `${stem}-${i + 1}.svg`)
}

interface SourceOptions {
  labels?: string[]
  prefix?: string
  start?: number
  count?: number
  type?: string
  fromInventory?: boolean
  pool?: string
  mediaSet?: string
  unlabeled?: boolean
}

function labelSource(positional: string[], o: SourceOptions): LabelSource {
  const listed = [...positional, ...(o.labels ?? [])]
  const range = o.prefix !== undefined || o.count !== undefined || o.type !== undefined
  if (o.fromInventory) {
    if (range) throw new InvalidArgumentError('--from-inventory cannot be combined with a range')
    return defined({
      kind: 'inventory' as const,
      pool: o.pool,
      mediaSet: o.mediaSet,
      unlabeled: o.unlabeled,
      labels: listed.length > 0 ? listed : undefined
    })
  }
  if (o.pool !== undefined || o.mediaSet !== undefined || o.unlabeled) {
    throw new InvalidArgumentError('--pool, --media-set and --unlabeled need --from-inventory')
  }
  if (range) {
    if (listed.length > 0) throw new InvalidArgumentError('give either label texts or a range')
    if (o.count === undefined || o.type === undefined) {
      throw new InvalidArgumentError('a range needs --count and --type (and usually --prefix)')
    }
    return {
      kind: 'range',
      prefix: o.prefix ?? '',
      start: o.start ?? 1,
      count: o.count,
      type: o.type
    }
  }
  if (listed.length === 0) {
    throw new InvalidArgumentError(
      'give label texts, a range (--prefix, --count, --type) or --from-inventory'
    )
  }
  return { kind: 'list', labels: listed }
}

async function writeSheet(
  ctx: CliContext,
  request: LabelSheetRequest,
  out: string
): Promise<{ labels: string[]; pages: number; perPage: number; skipped: number; files: string[] }> {
  const preview = await ctx.call('labels.preview', request)
  const summary = {
    labels: preview.labels,
    pages: preview.pages.length,
    perPage: preview.perPage,
    skipped: preview.skipped
  }
  if (outputKind(out) === 'svg') {
    const files = svgFileNames(out, preview.pages.length)
    for (const [i, file] of files.entries()) await writeFileAtomic(file, preview.pages[i], 0o644)
    return { ...summary, files }
  }
  const pdf = await ctx.call('labels.pdf', request)
  await writeFileAtomic(out, Buffer.from(pdf.pdfBase64, 'base64'), 0o644)
  return { ...summary, files: [out] }
}

async function writeCalibrationPage(ctx: CliContext, paper: LabelPaper, out: string) {
  const kind = outputKind(out)
  const page = await ctx.call('labels.calibration-page', { paper })
  await writeFileAtomic(
    out,
    kind === 'svg' ? page.svg : Buffer.from(page.pdfBase64, 'base64'),
    0o644
  )
  if (!ctx.out.isText) return ctx.out.json({ files: [out] })
  ctx.out.line(`calibration page written: ${out}`)
  ctx.out.line('print it at 100 %, measure Sx, Sy (from the paper edges to the square) and')
  ctx.out.line('Dx, Dy (its sides) in mm, then pass --calibration SX,SY,DX,DY')
}

export function registerLabelCommands(program: Command, run: Run): void {
  program
    .command('labels')
    .description(
      'Print LTO barcode labels (Code 39) to a PDF or SVG sheet: from label texts, a numbered ' +
        'range or the inventory'
    )
    .argument(
      '[label...]',
      "label texts, e.g. TAPE01L9 (6-character volume serial + media type); or 'calibration' " +
        'for the printer test square (print it at 100 %, measure it, pass --calibration)'
    )
    .option(
      '--labels <list>',
      'comma separated label texts (with --from-inventory: only these tapes)',
      collect
    )
    .option('--prefix <prefix>', 'range: the volume serial prefix, e.g. TAPE')
    .option('--start <n>', 'range: first number (default 1)', integer(0, 999_999))
    .option('--count <n>', 'range: how many labels', integer(1, 10_000))
    .option(
      '--type <type>',
      'range: media type, e.g. L9, LZ (LTO-9 WORM), LA (LTO-10), CU (cleaning)'
    )
    .option('--from-inventory', 'labels of tapes in the inventory')
    .option('--pool <pool>', 'inventory: tapes of this pool')
    .option('--media-set <set>', 'inventory: tapes of this media set (UUID or name)')
    .option('--unlabeled', 'inventory: barcodes a changer reports that have no media label yet')
    .addOption(new Option('--mode <mode>', 'label style').choices(LABEL_MODES).default('simple'))
    .addOption(
      new Option('--paper <paper>', 'paper or label sheet').choices(LABEL_PAPERS).default('a4')
    )
    .option('--label-width <mm>', 'label width (default 70)', millimetres)
    .option('--label-height <mm>', 'label height (default 17; Avery 3420: 16.9)', millimetres)
    .option('--margin-left <mm>', 'left page margin (default 0)', millimetres)
    .option('--margin-top <mm>', 'top page margin (default 4; Avery 3420: 5)', millimetres)
    .option('--column-spacing <mm>', 'space between columns (default 0)', millimetres)
    .option('--row-spacing <mm>', 'space between rows (default 0)', millimetres)
    .option('--borders', 'draw cut lines around labels (default on plain paper)')
    .option('--no-borders', 'no cut lines around labels')
    .option(
      '--start-position <n>',
      'first position to use on a partly used sheet (1 = top left)',
      integer(1, 10_000)
    )
    .option(
      '--calibration <sx,sy,dx,dy>',
      'printer calibration: the test square as measured, in mm',
      calibration
    )
    .requiredOption('--out <file>', 'output file: FILE.pdf, or FILE.svg (one file per page)')
    .action(
      run(async (ctx, positional: string[], o) => {
        if (positional.length === 1 && positional[0] === 'calibration') {
          return writeCalibrationPage(ctx, o.paper, o.out)
        }
        outputKind(o.out)
        const layout = defined({
          labelWidthMm: o.labelWidth,
          labelHeightMm: o.labelHeight,
          marginLeftMm: o.marginLeft,
          marginTopMm: o.marginTop,
          columnSpacingMm: o.columnSpacing,
          rowSpacingMm: o.rowSpacing,
          borders: o.borders
        })
        const request: LabelSheetRequest = defined({
          source: labelSource(positional, o),
          mode: o.mode,
          paper: o.paper,
          layout: Object.keys(layout).length > 0 ? layout : undefined,
          startPosition: o.startPosition,
          calibration: o.calibration
        })
        const result = await writeSheet(ctx, request, o.out)
        if (!ctx.out.isText) {
          return ctx.out.json({
            labels: result.labels,
            pages: result.pages,
            'per-page': result.perPage,
            skipped: result.skipped,
            files: result.files
          })
        }
        const n = result.labels.length
        ctx.out.line(
          `${n} label${n === 1 ? '' : 's'} (${result.labels[0]} … ${result.labels[n - 1]}) on ` +
            `${result.pages} page${result.pages === 1 ? '' : 's'} (${result.perPage} per page` +
            `${result.skipped > 0 ? `, first ${result.skipped} positions left empty` : ''})`
        )
        for (const file of result.files) ctx.out.line(`written: ${file}`)
      })
    )
}
