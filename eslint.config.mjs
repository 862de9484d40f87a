import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'
import prettier from 'eslint-config-prettier'
import globals from 'globals'

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'http',
  'net',
  'stream',
  'url'
]

export default tseslint.config(
  { ignores: ['out/**', 'release/**', 'node_modules/**', 'test-artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: {
      parser: vueParser,
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        sourceType: 'module'
      }
    }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }]
    }
  },
  {
    files: ['main/**/*.ts', 'scripts/**/*.mjs', 'bin/**/*.js', 'tests/**/*.ts', '*.config.*'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    files: ['bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  // main/core must run under plain Node: no Electron, no renderer code.
  {
    files: ['main/core/**/*.ts', 'main/cli/**/*.ts', 'main/serve/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*'],
              message:
                'main/core, cli and serve must not import Electron; put Electron code in main/app.'
            },
            {
              group: ['**/app/*', '**/renderer/**', '**/preload/index*'],
              message: 'core code must not depend on the Electron shell or the renderer.'
            }
          ]
        }
      ]
    }
  },
  // The renderer runs in a sandboxed page: no Node, no Electron, only type imports from the core contract.
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*'],
              message: 'the renderer talks to the main process only through window.tapedeck.'
            },
            { group: nodeBuiltins, message: 'the renderer runs without Node.' },
            {
              group: ['**/main/**'],
              allowTypeImports: true,
              message: 'the renderer may import only types from main/core/api.'
            },
            { group: ['**/preload/index*'], message: 'use the bridge type from preload/bridge.' }
          ]
        }
      ]
    }
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', ...nodeBuiltins],
              message: 'the sandboxed preload may import only electron and the bridge.'
            }
          ]
        }
      ]
    }
  },
  prettier
)
