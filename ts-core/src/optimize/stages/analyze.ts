/** Analyze: scores each object (complexity, suitability for baking, dynamism) and classifies the scene. */
import { analyzeScene } from '../../analyze/analyze.js';
import { SCRIPT_DEVICE } from '../devices.js';
import { defineStage } from '../stage.js';

export const analyzeStage = defineStage({
  name: 'analyze',
  needs: ['scene', 'flat', 'measured'],
  produces: ['analysis'],
  device: () => SCRIPT_DEVICE,
  async run({ scene, flat, measured }) {
    return { analysis: await analyzeScene(scene, flat, measured) };
  },
});
